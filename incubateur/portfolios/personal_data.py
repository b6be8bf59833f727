"""Personal data held by the portfolios app.

`export(user)`: the committees the person recorded, by reference; the weekly digests sent to them.
"""

from incubateur.portfolios.models import Committee, DigestSent


def export(user) -> dict:
    return {
        "comites_enregistres": [
            {"reference": f"n°{c.pk}", "date": c.date, "produit": c.product.name}
            for c in Committee.objects.filter(recorded_by=user).select_related("product").order_by("date", "pk")
        ],
        "syntheses_recues": [
            {"semaine": d.week, "elements_en_retard": d.items, "envoyee_le": d.sent_at}
            for d in DigestSent.objects.filter(user=user).order_by("sent_at", "pk")
        ],
    }
