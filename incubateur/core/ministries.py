"""beta.gouv.fr ministerial domains (`domaine_ministeriel` of an organisation), with their French labels."""

MINISTRIES: dict[str, str] = {
    "affaires-etrangeres": "Affaires étrangères",
    "agriculture": "Agriculture et souveraineté alimentaire",
    "armees": "Armées",
    "bercy": "Économie et finances (Bercy)",
    "culture": "Culture",
    "education": "Éducation nationale",
    "enseignement-sup": "Enseignement supérieur et recherche",
    "environnement": "Transition écologique",
    "interieur": "Intérieur",
    "justice": "Justice",
    "outre-mer": "Outre-mer",
    "solidarite-sante": "Santé et solidarités",
    "spm": "Services du Premier ministre",
    "sport": "Sports",
    "travail": "Travail et emploi",
    "territoires": "Cohésion des territoires",
    "autres": "Autres",
}

MINISTRY_CHOICES = sorted(MINISTRIES.items(), key=lambda item: item[1])
