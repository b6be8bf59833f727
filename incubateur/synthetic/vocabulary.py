"""The words the synthetic data is made of: French names, administrations, products, requests and replies.

Plain data, no logic. Lists only grow at their end: the generator draws from them with a seeded generator, so
reordering a list changes the rows a seed gives.
"""

FIRST_NAMES = [
    "Camille", "Dominique", "Claude", "Alix", "Sacha", "Lou", "Marie", "Jean", "Léa", "Hugo", "Chloé", "Lucas",
    "Emma", "Louis", "Manon", "Gabriel", "Inès", "Arthur", "Jade", "Nathan", "Sarah", "Théo", "Zoé", "Maxime",
    "Julie", "Antoine", "Clara", "Thomas", "Laura", "Paul", "Anaïs", "Nicolas", "Pauline", "Mathieu", "Élise",
    "Romain", "Margaux", "Julien", "Céline", "Benoît", "Sophie", "Yanis", "Amina", "Karim", "Fatou", "Mehdi",
    "Nadia", "Olivier", "Aurélie", "Stéphane", "Hélène", "François", "Agathe", "Rémi", "Lina", "Bastien",
    "Noémie", "Quentin", "Salomé", "Victor", "Yasmine", "Adrien", "Maëlle", "Corentin", "Océane", "Loïc",
]  # fmt: skip

LAST_NAMES = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Simon",
    "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier", "Morel",
    "Girard", "André", "Lefèvre", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Legrand",
    "Garnier", "Faure", "Rousseau", "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin",
    "Morin", "Mathieu", "Clément", "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin", "Masson",
    "Sanchez", "Boyer", "Denis", "Lemaire", "Duval", "Joly", "Gautier", "Roger", "Roche", "Roy", "Noël",
    "Meyer", "Lucas", "Meunier", "Jean", "Perez", "Marchand", "Dufour", "Blanchard", "Benali", "Diallo",
    "Nguyen", "Haddad", "Traoré", "Kowalski", "Le Gall", "Le Goff", "Caron", "Brun", "Barbier", "Arnaud",
]  # fmt: skip

# (name, acronym, domaine_ministeriel, type) — sponsors and incubator owners.
ORGANISATIONS = [
    ("Direction générale des finances publiques", "DGFiP", "bercy", "administration-centrale"),
    ("France Travail", "FT", "travail", "operateur"),
    ("Direction des services judiciaires", "DSJ", "justice", "administration-centrale"),
    ("Agence nationale de l'habitat", "Anah", "territoires", "operateur"),
    ("Direction générale de la santé", "DGS", "solidarite-sante", "administration-centrale"),
    ("Caisse nationale des allocations familiales", "CNAF", "solidarite-sante", "securite-sociale"),
    ("Direction du numérique pour l'éducation", "DNE", "education", "administration-centrale"),
    ("Office français de la biodiversité", "OFB", "environnement", "operateur"),
    ("Direction générale des collectivités locales", "DGCL", "interieur", "administration-centrale"),
    ("Direction générale de la création artistique", "DGCA", "culture", "administration-centrale"),
    ("Agence nationale du sport", "ANS", "sport", "operateur"),
    ("Direction générale de l'enseignement supérieur", "DGESIP", "enseignement-sup", "administration-centrale"),
    ("Secrétariat général pour l'administration des armées", "SGA", "armees", "administration-centrale"),
    ("Direction générale de l'alimentation", "DGAL", "agriculture", "administration-centrale"),
    ("Direction du numérique des Affaires étrangères", "DNUM-MEAE", "affaires-etrangeres", "administration-centrale"),
    ("Direction interministérielle du numérique", "DINUM", "spm", "administration-centrale"),
    ("Agence de la transition écologique", "ADEME", "environnement", "operateur"),
    ("Préfecture de la Gironde", "", "interieur", "service-deconcentre"),
    ("Direction générale des Outre-mer", "DGOM", "outre-mer", "administration-centrale"),
    ("Agence nationale de la cohésion des territoires", "ANCT", "territoires", "operateur"),
    ("Direction générale du travail", "DGT", "travail", "administration-centrale"),
    ("Région Occitanie", "", "", "collectivite-territoriale"),
    ("Département de la Seine-Saint-Denis", "", "", "collectivite-territoriale"),
    ("Direction de l'administration pénitentiaire", "DAP", "justice", "administration-centrale"),
]

# (title, index of the owner in ORGANISATIONS)
INCUBATORS = [
    ("Fabrique numérique des Finances", 0),
    ("Lab de l'emploi", 1),
    ("Fabrique numérique de la Justice", 2),
    ("Incubateur des territoires", 19),
    ("Fabrique des solidarités", 5),
    ("Lab de l'éducation", 6),
    ("Fabrique de la transition écologique", 16),
    ("Incubateur de la DINUM", 15),
]

# Product names: a word, then a field. The field brings the thématiques (the portfolios' themes among them).
PRODUCT_WORDS = [
    "Boussole", "Dossier", "Aides", "Place", "Signal", "Carte", "Portail", "Agenda", "Guichet", "Pass", "Relais",
    "Trajectoire", "Base", "Mon Suivi", "Démarches", "Diag", "Réseau", "Atlas", "Compas", "Tremplin",
]  # fmt: skip
PRODUCT_FIELDS = [
    ("Emploi", ["Travail / Emploi"]),
    ("Insertion", ["Insertion", "Travail / Emploi"]),
    ("Santé", ["Santé"]),
    ("Solidarité", ["Social"]),
    ("Justice", ["Justice"]),
    ("Logement", ["Logement"]),
    ("Climat", ["Climat", "Écologie"]),
    ("Biodiversité", ["Biodiversité"]),
    ("École", ["Education"]),
    ("Sport", ["Sport"]),
    ("Jeunes", ["Jeunesse"]),
    ("Associations", ["Vie associative"]),
    ("Territoires", ["Territoires", "Collectivités"]),
    ("Culture", ["Culture"]),
    ("Agri", ["Agriculture"]),
    ("Entreprises", ["Entreprises"]),
    ("Mobilité", ["Mobilité"]),
    ("Cyber", ["Cybersécurité"]),
    ("Données", ["Intelligence artificielle"]),
    ("Citoyens", ["Citoyenneté"]),
]
OTHER_THEMES = ["Numérique", "Accessibilité", "Open data", "Simplification", "Transport"]
USERTYPES = ["particulier", "professionnel", "administration", "association", "collectivite", "entreprise"]
TECHNOS = ["Django", "React", "Ruby on Rails", "Next.js", "PostgreSQL", "Vue.js", "Node.js", "Metabase", "Python"]

PITCH_VERBS = ["Simplifier", "Accélérer", "Sécuriser", "Faciliter", "Rendre accessible", "Fiabiliser"]
PITCH_OBJECTS = [
    "les démarches des usagers",
    "le suivi des dossiers par les agents",
    "l'accès aux aides auxquelles on a droit",
    "le partage des données entre administrations",
    "l'instruction des demandes",
    "l'orientation des personnes vers le bon service",
]
DESCRIPTION_SENTENCES = [
    "Les agents passent plusieurs heures par semaine à ressaisir des informations déjà connues.",
    "Un usager sur trois abandonne sa démarche avant la fin.",
    "Les délais de traitement dépassent souvent trois mois.",
    "Les informations sont éparpillées entre plusieurs sites et plusieurs interlocuteurs.",
    "Le service propose un parcours unique, testé chaque semaine avec des usagers.",
    "L'équipe mesure l'impact sur le temps de traitement et le taux de recours.",
    "Le produit est déployé progressivement, territoire par territoire.",
    "Les données publiées sont réutilisables en open data.",
    "Une page de statistiques publique rend compte de l'usage et de l'impact.",
    "La stratégie de pérennisation prévoit une reprise par l'administration partenaire.",
]

ROLES = [
    ("Développeuse", "Développement"),
    ("Développeur", "Développement"),
    ("Designer", "Design"),
    ("Coach", "Coaching"),
    ("Chargée de déploiement", "Déploiement"),
    ("Chargé de déploiement", "Déploiement"),
    ("Product owner", "Produit"),
    ("Intrapreneur", "Intraprenariat"),
    ("Intrapreneuse", "Intraprenariat"),
    ("Data scientist", "Data"),
    ("Animatrice de communauté", "Animation"),
    ("Support", "Support"),
]
COMPETENCES = ["Django", "React", "UX research", "Accessibilité", "Data", "SQL", "Déploiement", "Pilotage", "DSFR"]
EMPLOYERS = ["Octo Technology", "Scopyleft", "Codeurs en Liberté", "Zenika", "Ippon", "Beta Conseil", "Hashbang"]

# Requests: subjects per kind (a {product} may appear), bodies, replies, internal notes.
SUBJECTS = {
    "doute-produit": [
        "Regard extérieur sur notre feuille de route",
        "Question juridique sur le traitement des données",
        "Faut-il élargir le public de {product} ?",
        "Stratégie de déploiement de {product}",
    ],
    "partenariat": [
        "Nouveau partenariat avec une direction",
        "Rencontre avec un ministère intéressé par {product}",
        "Convention de partenariat à préparer",
    ],
    "convention-devis-service-fait": [
        "Convention bloquée depuis deux mois",
        "Devis en attente de signature",
        "Service fait à valider pour le trimestre",
    ],
    "administratif-marches": [
        "Bon de commande pour un nouvel intrapreneur",
        "Question sur le marché de prestations",
        "Renouvellement d'un contrat",
    ],
    "soutien-dinum": [
        "Candidature au programme de consolidation",
        "Besoin d'un appui pour débloquer un frein",
        "Refinancement de {product}",
        "Négocier l'autonomie de l'équipe",
    ],
    "mal-etre": ["Difficultés dans l'équipe", "Charge de travail intenable", "Besoin d'en parler"],
    "communaute": [
        "Animer un atelier accessibilité",
        "Proposer une formation au design",
        "Contribuer à la documentation",
    ],
    "signalement": ["Engagement de réponse non tenu", "Manquement à la confidentialité"],
    "autre": ["Accès à l'espace membre", "Question sur Mattermost", "Demande d'information"],
}
BODY_SENTENCES = [
    "Bonjour, nous aurions besoin de votre aide.",
    "La situation dure depuis plusieurs semaines.",
    "Nous avons déjà essayé de contacter la direction concernée, sans réponse.",
    "Pouvez-vous nous indiquer la bonne personne ?",
    "Un échange rapide en visio nous aiderait beaucoup.",
    "Les détails sont dans le document partagé avec l'équipe.",
    "C'est assez urgent : l'échéance tombe à la fin du mois.",
    "Merci d'avance pour votre retour.",
]
REPLIES_STAFF = [
    "Bonjour, merci pour votre message. Je regarde cela et reviens vers vous rapidement.",
    "J'ai transmis à la direction concernée ; je vous tiens au courant.",
    "Pouvez-vous préciser le calendrier et les personnes impliquées ?",
    "Un créneau jeudi à 14 h vous convient-il pour en parler ?",
    "C'est réglé de notre côté : dites-moi si tout est bon pour vous.",
]
REPLIES_REQUESTER = [
    "Merci beaucoup pour votre réponse rapide.",
    "Voici les précisions demandées : l'échéance est fixée au 15.",
    "Jeudi 14 h, c'est parfait.",
    "Tout est bon pour nous, merci !",
]
NOTES = [
    "Déjà vu avec la direction le mois dernier : même blocage.",
    "À suivre au prochain comité.",
    "J'appelle l'équipe demain.",
    "Voir avec le pôle Accélération avant de répondre.",
]
OFFER_TOPICS = [
    "Atelier de cadrage de la stratégie d'impact",
    "Mise en relation avec une direction partenaire",
    "Accompagnement au passage en consolidation",
    "Audit d'accessibilité",
]
DECLINE_REASONS = ["Nous avons déjà un accompagnement en cours.", "Pas le bon moment pour l'équipe.", ""]
COMMITTEE_ATTENDEES = "Équipe produit, sponsor, responsable de portefeuille, pôle Accélération"
