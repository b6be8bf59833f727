"""The form of a row of the routing table."""

from django import forms

from incubateur.guichet.forms.fields import PersonChoiceField, staff_people
from incubateur.guichet.kinds import CONFIDENTIAL_KINDS, KIND_INFO, Kind, Topic
from incubateur.guichet.models import RoutingRule
from incubateur.ui.forms import BaseForm


class RoutingRuleForm(BaseForm, forms.ModelForm):
    class Meta:
        model = RoutingRule
        fields = ["kind", "topic", "portfolio", "target", "pole", "person", "copy_portfolio_manager", "fallback_pole"]
        error_messages = {
            "kind": {"required": "Choisissez le type de demande."},
            "target": {"required": "Choisissez à qui attribuer ces demandes."},
        }
        help_texts = {
            "topic": "Seulement pour « J'ai besoin du soutien de la DINUM ». Vide : tous les sujets.",
            "portfolio": "Vide : tous les portefeuilles (une règle propre à un portefeuille passe avant).",
            "pole": "Pour « un pôle » : ses demandes vont à son référent du guichet, à défaut à son responsable.",
            "fallback_pole": "Reçoit la demande quand personne n'est trouvé (aucun portefeuille, poste vacant). "
            "Vide : le pôle de repli du département.",
        }

    person = PersonChoiceField(
        label="Personne",
        help_text="Pour « une personne » : un membre de l'équipe de l'Incubateur.",
        queryset=staff_people(),
        required=False,
        empty_label="Aucune",
    )

    field_order = Meta.fields

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "Choisir un type de demande"), *Kind.choices]
        self.fields["topic"].choices = [("", "Tous les sujets"), *Topic.choices]
        self.fields["target"].choices = [("", "Choisir à qui attribuer"), *RoutingRule.Target.choices]
        self.fields["portfolio"].empty_label = "Tous les portefeuilles"
        self.fields["pole"].empty_label = "Aucun"
        self.fields["fallback_pole"].empty_label = "Le pôle de repli du département"

    def clean(self):
        data = super().clean()
        Target = RoutingRule.Target
        kind, topic, target = data.get("kind"), data.get("topic"), data.get("target")
        if kind and topic and not KIND_INFO[Kind(kind)].needs_topic:
            self.add_error("topic", "Ce type de demande n'a pas de sujet : laissez « Tous les sujets ».")
        if kind and target:
            confidential = kind in CONFIDENTIAL_KINDS
            if confidential and target != Target.CHOSEN:
                self.add_error(
                    "target",
                    "Une demande confidentielle va toujours à la personne que le demandeur choisit : choisissez "
                    f"« {Target.CHOSEN.label} ».",
                )
            elif not confidential and target == Target.CHOSEN:
                self.add_error(
                    "target", "Seules les demandes confidentielles vont à une personne choisie par le demandeur."
                )
        if target == Target.POLE and not data.get("pole"):
            self.add_error("pole", "Choisissez le pôle qui reçoit ces demandes.")
        if target != Target.POLE and data.get("pole"):
            self.add_error("pole", "Un pôle ne se choisit que pour « un pôle » : laissez ce champ vide.")
        if target == Target.PERSON and not data.get("person"):
            self.add_error("person", "Choisissez la personne qui reçoit ces demandes.")
        if target != Target.PERSON and data.get("person"):
            self.add_error("person", "Une personne ne se choisit que pour « une personne » : laissez ce champ vide.")
        if kind and "kind" not in self.errors and "topic" not in self.errors:
            same = RoutingRule.objects.filter(kind=kind, topic=topic or "", portfolio=data.get("portfolio"))
            if self.instance.pk:
                same = same.exclude(pk=self.instance.pk)
            if same.exists():
                scope = f"le portefeuille {data['portfolio']}" if data.get("portfolio") else "tous les portefeuilles"
                self.add_error(
                    "kind",
                    "Une règle existe déjà pour ce type de demande, "
                    + (f"le sujet « {Topic(topic).label} »" if topic else "tous les sujets")
                    + f" et {scope} : modifiez-la plutôt que d'en ajouter une autre.",
                )
        return data
