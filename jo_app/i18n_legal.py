"""Catalogue strings of the legal pages (privacy policy, legal notice, terms of sale); merged into jo_app.i18n.

`LEGAL_PAGES[page]` lists the sections of each page in order: (heading key, [paragraph keys]).
"""

from __future__ import annotations

_S = dict[str, dict[str, str]]


def _page(prefix: str, title: tuple[str, str], intro: tuple[str, str],
          sections: list[tuple[tuple[str, str], list[tuple[str, str]]]]) -> tuple[_S, list[tuple[str, list[str]]]]:
    strings: _S = {f"{prefix}.title": {"fr": title[0], "en": title[1]},
                   f"{prefix}.intro": {"fr": intro[0], "en": intro[1]}}
    layout: list[tuple[str, list[str]]] = []
    for n, (heading, paragraphs) in enumerate(sections, start=1):
        h_key = f"{prefix}.s{n}.h"
        strings[h_key] = {"fr": heading[0], "en": heading[1]}
        keys = []
        for m, (fr, en) in enumerate(paragraphs, start=1):
            key = f"{prefix}.s{n}.p{m}"
            strings[key] = {"fr": fr, "en": en}
            keys.append(key)
        layout.append((h_key, keys))
    return strings, layout


_PRIVACY = _page(
    "privacy",
    ("Politique de confidentialité", "Privacy policy"),
    ("Version 2024-1. Cette politique explique quelles données personnelles JO E-Tickets traite, pourquoi, "
     "combien de temps, et comment exercer vos droits.",
     "Version 2024-1. This policy explains which personal data JO E-Tickets processes, why, for how long, and "
     "how to exercise your rights."),
    [
        (("Responsable du traitement", "Data controller"), [
            ("JO E-Tickets (projet de démonstration), contact : dpo@jo-etickets.example.",
             "JO E-Tickets (demonstration project), contact: dpo@jo-etickets.example."),
        ]),
        (("Données collectées", "Data we collect"), [
            ("Compte : prénom, nom, adresse e-mail, mot de passe (stocké uniquement sous forme de hachage bcrypt), "
             "date d'inscription et votre acceptation de cette politique (version, date, adresse IP).",
             "Account: first name, last name, e-mail address, password (stored only as a bcrypt hash), sign-up "
             "date and your acceptance of this policy (version, date, IP address)."),
            ("Achats : commandes, billets (nom du titulaire, nombre de personnes, statut), les 4 derniers chiffres "
             "de la carte. Le numéro complet de carte n'est jamais conservé.",
             "Purchases: orders, tickets (holder name, number of persons, status), the last 4 digits of the card. "
             "The full card number is never stored."),
            ("Sécurité : sessions de connexion (adresse IP, navigateur, dates), tentatives de connexion, journal "
             "d'audit, secret de la vérification en deux étapes si vous l'activez.",
             "Security: login sessions (IP address, browser, dates), login attempts, audit log, the two-step "
             "verification secret if you enable it."),
            ("Contrôle d'accès : date et heure de validation de vos billets à l'entrée des sites.",
             "Access control: date and time your tickets were scanned at the venue entrance."),
        ]),
        (("Finalités et bases légales", "Purposes and legal bases"), [
            ("Vendre et délivrer les billets, et les contrôler à l'entrée (exécution du contrat).",
             "Selling and delivering tickets, and checking them at the entrance (performance of the contract)."),
            ("Protéger les comptes contre la fraude et la revente illicite (intérêt légitime et obligation légale "
             "pour les manifestations sportives).",
             "Protecting accounts against fraud and illegal resale (legitimate interest and legal obligation for "
             "sporting events)."),
            ("Tenir la comptabilité des ventes (obligation légale).",
             "Keeping sales accounting records (legal obligation)."),
        ]),
        (("Durées de conservation", "Retention"), [
            ("Compte : tant qu'il est actif ; à sa suppression, les données personnelles sont anonymisées "
             "immédiatement.",
             "Account: while it is active; when you delete it, personal data is anonymised immediately."),
            ("Pièces comptables (commandes, montants) : 10 ans, sans lien avec votre identité après suppression du "
             "compte.",
             "Accounting records (orders, amounts): 10 years, unlinked from your identity once the account is "
             "deleted."),
            ("Journaux de connexion et de sécurité : 12 mois. Codes envoyés par e-mail : 30 minutes.",
             "Login and security logs: 12 months. Codes sent by e-mail: 30 minutes."),
        ]),
        (("Destinataires", "Recipients"), [
            ("Les seules personnes habilitées de JO E-Tickets et nos sous-traitants techniques (hébergement, envoi "
             "d'e-mails, paiement), dans l'Union européenne. Aucune donnée n'est vendue.",
             "Only authorised JO E-Tickets staff and our technical processors (hosting, e-mail delivery, payment), "
             "within the European Union. No data is sold."),
        ]),
        (("Vos droits", "Your rights"), [
            ("Vous disposez des droits d'accès, de rectification, d'effacement, de limitation, d'opposition et de "
             "portabilité. Depuis « Mon compte », vous pouvez exporter vos données (JSON) et supprimer votre compte.",
             "You have the rights of access, rectification, erasure, restriction, objection and portability. From "
             "\"My account\" you can export your data (JSON) and delete your account."),
            ("Pour toute autre demande : dpo@jo-etickets.example. Vous pouvez aussi saisir la CNIL (www.cnil.fr).",
             "For any other request: dpo@jo-etickets.example. You may also complain to the CNIL (www.cnil.fr)."),
        ]),
        (("Cookies", "Cookies"), [
            ("Nous utilisons uniquement des cookies nécessaires : la session de connexion (jo_session, HttpOnly, "
             "7 jours au plus) et la langue choisie (jo_lang, 1 an). Aucun cookie publicitaire ni de mesure "
             "d'audience.",
             "We only use necessary cookies: the login session (jo_session, HttpOnly, at most 7 days) and the chosen "
             "language (jo_lang, 1 year). No advertising or analytics cookies."),
        ]),
        (("Sécurité", "Security"), [
            ("Mots de passe hachés, connexions chiffrées (HTTPS), vérification en deux étapes disponible, billets "
             "signés numériquement, verrouillage après plusieurs échecs de connexion.",
             "Hashed passwords, encrypted connections (HTTPS), optional two-step verification, digitally signed "
             "tickets, lockout after repeated failed logins."),
        ]),
    ],
)

_LEGAL_NOTICE = _page(
    "legalnotice",
    ("Mentions légales", "Legal notice"),
    ("Informations sur l'éditeur et l'hébergeur du site.", "Information about the publisher and host of the site."),
    [
        (("Éditeur", "Publisher"), [
            ("JO E-Tickets — projet de démonstration pédagogique. Directeur de la publication : l'équipe JO "
             "E-Tickets. Contact : contact@jo-etickets.example.",
             "JO E-Tickets — educational demonstration project. Publication director: the JO E-Tickets team. "
             "Contact: contact@jo-etickets.example."),
        ]),
        (("Hébergement", "Hosting"), [
            ("Le site est hébergé dans l'Union européenne par un prestataire d'hébergement en nuage.",
             "The site is hosted in the European Union by a cloud hosting provider."),
        ]),
        (("Propriété intellectuelle", "Intellectual property"), [
            ("Les marques et emblèmes olympiques appartiennent à leurs titulaires. Ce projet n'est ni affilié ni "
             "approuvé par le Comité international olympique ou le Comité d'organisation.",
             "Olympic marks and emblems belong to their owners. This project is neither affiliated with nor "
             "endorsed by the International Olympic Committee or the Organising Committee."),
        ]),
        (("Données personnelles", "Personal data"), [
            ("Voir la politique de confidentialité.", "See the privacy policy."),
        ]),
    ],
)

_TERMS = _page(
    "terms",
    ("Conditions générales de vente", "Terms of sale"),
    ("Ces conditions s'appliquent à tout achat de billets sur JO E-Tickets.",
     "These terms apply to every ticket purchase on JO E-Tickets."),
    [
        (("Offres", "Offers"), [
            ("Les billets sont vendus par offres : solo (1 personne), duo (2 personnes) et famille (4 personnes). "
             "Un billet électronique unique est délivré par offre et admet le nombre de personnes indiqué, qui "
             "entrent ensemble.",
             "Tickets are sold as offers: solo (1 person), duo (2 persons) and family (4 persons). One electronic "
             "ticket is issued per offer and admits the stated number of persons, who enter together."),
        ]),
        (("Limites d'achat", "Purchase limits"), [
            ("Une commande ne peut pas contenir plus de 6 offres pour une même épreuve. Un compte vérifié est "
             "nécessaire pour payer.",
             "An order may not contain more than 6 offers for the same event. A verified account is needed to pay."),
        ]),
        (("Prix et paiement", "Prices and payment"), [
            ("Les prix sont indiqués en euros toutes taxes comprises. Le paiement par carte est débité en une fois "
             "à la validation de la commande ; une commande n'est jamais payée deux fois.",
             "Prices are shown in euros including taxes. The card is charged once when the order is confirmed; an "
             "order is never paid twice."),
        ]),
        (("Billets nominatifs, revente interdite", "Named tickets, no resale"), [
            ("Les billets sont nominatifs et liés au compte de l'acheteur. Leur revente ou cession, à titre "
             "onéreux ou gratuit, hors plateforme officielle est interdite (article 313-6-2 du Code pénal) et "
             "entraîne l'annulation du billet.",
             "Tickets are named and bound to the buyer's account. Reselling or transferring them, for money or for "
             "free, outside the official platform is forbidden (article 313-6-2 of the French Criminal Code) and "
             "cancels the ticket."),
        ]),
        (("Absence de droit de rétractation", "No withdrawal right"), [
            ("Conformément à l'article L221-28 du Code de la consommation, les billets pour des manifestations à "
             "date déterminée ne bénéficient pas du droit de rétractation.",
             "Under article L221-28 of the French Consumer Code, tickets for events on a set date carry no right "
             "of withdrawal."),
        ]),
        (("Annulation et remboursement", "Cancellation and refunds"), [
            ("Si une épreuve est annulée, les billets correspondants sont annulés et intégralement remboursés sur la "
             "carte utilisée, sous 14 jours. Un report de date vous est notifié par e-mail ; vous pouvez alors "
             "demander le remboursement.",
             "If an event is cancelled, its tickets are cancelled and fully refunded to the card used, within 14 "
             "days. A change of date is notified by e-mail; you may then ask for a refund."),
        ]),
        (("Accès aux sites", "Venue access"), [
            ("Présentez le QR code du billet (sur téléphone ou imprimé). Chaque billet n'est valable qu'une fois : "
             "une fois validé, il ne permet plus d'entrer.",
             "Show the ticket's QR code (on a phone or printed). Each ticket is valid once: once scanned, it no "
             "longer grants entry."),
        ]),
        (("Réclamations", "Complaints"), [
            ("Contact : support@jo-etickets.example. En cas de litige, vous pouvez recourir gratuitement à un "
             "médiateur de la consommation.",
             "Contact: support@jo-etickets.example. In case of dispute, you may use a consumer mediator free of "
             "charge."),
        ]),
    ],
)

LEGAL: _S = {**_PRIVACY[0], **_LEGAL_NOTICE[0], **_TERMS[0]}
LEGAL_PAGES: dict[str, list[tuple[str, list[str]]]] = {
    "privacy": _PRIVACY[1], "legalnotice": _LEGAL_NOTICE[1], "terms": _TERMS[1],
}
