"""Personal data held by the registry: the member fiche linked to the account, its missions and teams.

The fiche comes from beta.gouv.fr's content tree (public data, imported again at every `import_betagouv`): it is
exported here, not purged (a change is made in the content tree).
"""

from incubateur.registry.models import Member, MissionProduct


def export(user) -> dict:
    member = Member.objects.filter(user=user).prefetch_related("teams", "missions").first()
    if member is None:
        return {"fiche": None, "missions": []}
    products: dict[int, list[str]] = {}
    links = MissionProduct.objects.filter(mission__member=member).select_related("product").order_by("order", "pk")
    for link in links:
        products.setdefault(link.mission_id, []).append(link.product.name)
    return {
        "fiche": {
            "identifiant": member.username,
            "nom_complet": member.fullname,
            "role": member.role,
            "domaine": member.domaine,
            "presentation": member.bio,
            "lien": member.link,
            "github": member.github,
            "avatar": member.avatar,
            "competences": member.competences,
            "type_de_membre": member.member_type,
            "equipes": [team.name for team in member.teams.all()],
            "autres_champs": member.extra,
        },
        "missions": [
            {
                "debut": mission.start,
                "fin": mission.end,
                "statut": mission.status,
                "employeur": mission.employer,
                "produits": products.get(mission.pk, []),
            }
            for mission in member.missions.all()
        ],
    }


def accounts_in_use(*, today):
    """Accounts the registry still needs (PERSONAL_DATA_KEEP_HOOKS): members with a mission running today."""
    return Member.objects.active(today).filter(user__isnull=False).values("user")
