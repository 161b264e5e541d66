"""Catalogue strings of the account pages (login, sign-up, verification, password reset, account) and the error and
notice messages (`err.*`, `msg.*`); merged into `jo_app.i18n.CATALOGUE`."""

ACCOUNT: dict[str, dict[str, str]] = {
    # Login
    "login.title": {"fr": "Connexion", "en": "Log in"},
    "login.intro": {"fr": "Connectez-vous pour acheter et retrouver vos billets.",
                    "en": "Log in to buy and find your tickets."},
    "login.submit": {"fr": "Se connecter", "en": "Log in"},
    "login.totp_title": {"fr": "Vérification en deux étapes", "en": "Two-step verification"},
    "login.totp_intro": {
        "fr": "Saisissez le code à 6 chiffres affiché par votre application d'authentification, ou l'un de vos "
              "codes de secours.",
        "en": "Enter the 6-digit code shown by your authenticator app, or one of your recovery codes.",
    },
    "login.totp_submit": {"fr": "Valider", "en": "Verify"},
    "login.forgot": {"fr": "Mot de passe oublié ?", "en": "Forgot your password?"},
    "login.no_account": {"fr": "Pas encore de compte ?", "en": "No account yet?"},
    "login.restart": {"fr": "Recommencer", "en": "Start again"},
    # Register
    "register.title": {"fr": "Créer un compte", "en": "Create an account"},
    "register.intro": {"fr": "Un compte est nécessaire pour acheter des billets.",
                       "en": "An account is needed to buy tickets."},
    "register.consent_before": {"fr": "J'ai lu et j'accepte la ", "en": "I have read and accept the "},
    "register.consent_link": {"fr": "politique de confidentialité", "en": "privacy policy"},
    "register.submit": {"fr": "Créer mon compte", "en": "Create my account"},
    "register.have_account": {"fr": "Déjà un compte ?", "en": "Already have an account?"},
    # Verification
    "verify.title": {"fr": "Vérifiez votre adresse e-mail", "en": "Verify your e-mail address"},
    "verify.intro": {
        "fr": "Nous avons envoyé un code à 6 chiffres à votre adresse e-mail. Il est valable 30 minutes.",
        "en": "We sent a 6-digit code to your e-mail address. It is valid for 30 minutes.",
    },
    "verify.submit": {"fr": "Vérifier", "en": "Verify"},
    "verify.resend": {"fr": "Renvoyer un code", "en": "Send a new code"},
    "verify.already": {"fr": "Votre adresse e-mail est vérifiée.", "en": "Your e-mail address is verified."},
    # Forgotten password
    "forgot.title": {"fr": "Mot de passe oublié", "en": "Forgotten password"},
    "forgot.intro": {
        "fr": "Indiquez votre adresse e-mail : si un compte existe, vous recevrez un code pour choisir un nouveau "
              "mot de passe.",
        "en": "Enter your e-mail address: if an account exists, you will receive a code to choose a new password.",
    },
    "forgot.request": {"fr": "Recevoir un code", "en": "Send me a code"},
    "forgot.reset": {"fr": "Changer mon mot de passe", "en": "Change my password"},
    # Account
    "account.title": {"fr": "Mon compte", "en": "My account"},
    "account.login_needed": {"fr": "Connectez-vous pour accéder à votre compte.",
                             "en": "Log in to see your account."},
    "account.profile": {"fr": "Profil", "en": "Profile"},
    "account.update_profile_submit": {"fr": "Enregistrer mon nom", "en": "Save my name"},
    "account.verified": {"fr": "Adresse vérifiée", "en": "Address verified"},
    "account.not_verified": {"fr": "Adresse non vérifiée", "en": "Address not verified"},
    "account.verify_now": {"fr": "Vérifier maintenant", "en": "Verify now"},
    "account.change_password": {"fr": "Changer de mot de passe", "en": "Change password"},
    "account.change_password_submit": {"fr": "Enregistrer le nouveau mot de passe", "en": "Save the new password"},
    "account.2fa": {"fr": "Vérification en deux étapes", "en": "Two-step verification"},
    "account.2fa_status": {"fr": "État :", "en": "Status:"},
    "account.2fa_on": {"fr": "Activée", "en": "Enabled"},
    "account.2fa_off": {"fr": "Désactivée", "en": "Disabled"},
    "account.2fa_intro": {
        "fr": "Protégez votre compte avec une application d'authentification (codes TOTP à 6 chiffres).",
        "en": "Protect your account with an authenticator app (6-digit TOTP codes).",
    },
    "account.2fa_start": {"fr": "Activer la vérification en deux étapes", "en": "Enable two-step verification"},
    "account.2fa_scan": {
        "fr": "Scannez ce QR code avec votre application, ou saisissez la clé ci-dessous, puis entrez le code "
              "affiché.",
        "en": "Scan this QR code with your app, or type the key below, then enter the code it shows.",
    },
    "account.2fa_qr_alt": {"fr": "QR code de configuration de l'application d'authentification",
                           "en": "Authenticator app set-up QR code"},
    "account.2fa_secret": {"fr": "Clé secrète", "en": "Secret key"},
    "account.2fa_confirm": {"fr": "Confirmer l'activation", "en": "Confirm activation"},
    "account.2fa_codes_title": {"fr": "Vos codes de secours", "en": "Your recovery codes"},
    "account.2fa_codes_intro": {
        "fr": "Conservez ces codes en lieu sûr : chacun permet une connexion si vous perdez votre téléphone. "
              "Ils ne seront plus affichés.",
        "en": "Keep these codes somewhere safe: each one lets you log in once if you lose your phone. "
              "They will not be shown again.",
    },
    "account.2fa_codes_done": {"fr": "J'ai noté mes codes", "en": "I have saved my codes"},
    "account.2fa_disable": {"fr": "Désactiver la vérification en deux étapes", "en": "Disable two-step verification"},
    "account.2fa_codes_left": {"fr": "Codes de secours restants : {n}", "en": "Recovery codes left: {n}"},
    "account.2fa_regenerate": {"fr": "Générer de nouveaux codes de secours", "en": "Generate new recovery codes"},
    "account.2fa_regenerate_intro": {
        "fr": "Les anciens codes ne fonctionneront plus. Confirmez avec le code de votre application.",
        "en": "The old codes will stop working. Confirm with the code from your app.",
    },
    "account.sessions": {"fr": "Sessions actives", "en": "Active sessions"},
    "account.session_current": {"fr": "Cette session", "en": "This session"},
    "account.session_started": {"fr": "Ouverte le", "en": "Started on"},
    "account.session_seen": {"fr": "Dernière activité", "en": "Last activity"},
    "account.session_revoke": {"fr": "Déconnecter", "en": "Log out"},
    "account.session_unknown_device": {"fr": "Appareil inconnu", "en": "Unknown device"},
    "account.logout_everywhere": {"fr": "Se déconnecter partout", "en": "Log out everywhere"},
    "account.data": {"fr": "Mes données", "en": "My data"},
    "account.export": {"fr": "Exporter mes données (JSON)", "en": "Export my data (JSON)"},
    "account.export_intro": {
        "fr": "Téléchargez toutes les données que nous conservons sur vous (droit à la portabilité).",
        "en": "Download all the data we keep about you (right to data portability).",
    },
    "account.delete": {"fr": "Supprimer mon compte", "en": "Delete my account"},
    "account.delete_intro": {
        "fr": "Vos données personnelles seront anonymisées. Les données comptables sont conservées sans lien "
              "avec vous. Cette action est définitive.",
        "en": "Your personal data will be anonymised. Accounting records are kept, unlinked from you. "
              "This cannot be undone.",
    },
    "account.delete_submit": {"fr": "Supprimer définitivement mon compte", "en": "Permanently delete my account"},
    "account.delete_force": {"fr": "Annuler mes billets et supprimer mon compte",
                             "en": "Cancel my tickets and delete my account"},
    # Errors (codes from the services, plus UI checks)
    "err.generic": {"fr": "Une erreur est survenue. Veuillez réessayer.",
                    "en": "Something went wrong. Please try again."},
    "err.handoff_expired": {"fr": "La connexion n'a pas abouti ou a expiré. Veuillez vous reconnecter.",
                            "en": "The login did not complete or expired. Please log in again."},
    "err.login_required": {"fr": "Veuillez vous connecter.", "en": "Please log in."},
    "err.invalid_credentials": {"fr": "Adresse e-mail ou mot de passe incorrect.",
                                "en": "Invalid e-mail or password."},
    "err.rate_limited": {"fr": "Trop de tentatives depuis cette connexion. Réessayez dans une minute.",
                         "en": "Too many attempts from this connection. Try again in a minute."},
    "err.locked_out": {
        "fr": "Trop de tentatives de connexion échouées. Réessayez dans quelques minutes.",
        "en": "Too many failed login attempts. Try again in a few minutes.",
    },
    "err.account_locked": {"fr": "Ce compte est bloqué. Contactez le support.",
                           "en": "This account has been locked. Please contact support."},
    "err.invalid_totp": {"fr": "Code d'authentification invalide.", "en": "Invalid authentication code."},
    "err.totp_required": {"fr": "Saisissez le code de votre application d'authentification.",
                          "en": "Enter the code from your authenticator app."},
    "err.invalid_code": {"fr": "Code invalide ou expiré.", "en": "Invalid or expired code."},
    "err.email_invalid": {"fr": "Saisissez une adresse e-mail valide.", "en": "Enter a valid e-mail address."},
    "err.email_taken": {"fr": "Un compte existe déjà avec cette adresse e-mail.",
                        "en": "An account already exists with this e-mail address."},
    "err.name_invalid": {"fr": "Saisissez entre 1 et 50 caractères.", "en": "Enter 1 to 50 characters."},
    "err.consent_required": {"fr": "Vous devez accepter la politique de confidentialité.",
                             "en": "You must accept the privacy policy."},
    "err.password_rules": {"fr": "Le mot de passe ne respecte pas toutes les règles.",
                           "en": "The password does not meet every rule."},
    "err.password_common": {"fr": "Ce mot de passe est trop courant. Choisissez-en un moins prévisible.",
                            "en": "This password is too common. Choose a less predictable one."},
    "err.password_email": {"fr": "Le mot de passe ne doit pas contenir votre adresse e-mail.",
                           "en": "The password must not contain your e-mail address."},
    "err.password_same": {"fr": "Le nouveau mot de passe doit être différent de l'actuel.",
                          "en": "The new password must differ from the current one."},
    "err.invalid_password": {"fr": "Mot de passe actuel incorrect.", "en": "Current password is incorrect."},
    "err.required": {"fr": "Ce champ est obligatoire.", "en": "This field is required."},
    "err.totp_already_enabled": {"fr": "La vérification en deux étapes est déjà activée.",
                                 "en": "Two-step verification is already enabled."},
    "err.totp_not_started": {"fr": "Commencez d'abord la configuration.", "en": "Start the set-up first."},
    "err.totp_not_enabled": {"fr": "La vérification en deux étapes n'est pas activée.",
                             "en": "Two-step verification is not enabled."},
    "err.session_not_found": {"fr": "Session introuvable.", "en": "Session not found."},
    "err.has_valid_future_tickets": {
        "fr": "Vous détenez encore des billets valides pour des épreuves à venir : votre compte ne peut pas être "
              "supprimé tel quel. Vous pouvez annuler ces billets et supprimer le compte (sans remboursement "
              "automatique).",
        "en": "You still hold valid tickets for upcoming events: your account cannot be deleted as is. You may "
              "cancel these tickets and delete the account (no automatic refund).",
    },
    # Success / information messages
    # Shown after every sign-up, whether or not the address already had an account (no account enumeration).
    "msg.registered": {
        "fr": "Consultez votre boîte e-mail et saisissez le code de vérification reçu. Si vous aviez déjà un compte "
              "avec cette adresse, l'e-mail vous explique comment vous connecter.",
        "en": "Check your e-mail and enter the verification code you received. If you already had an account with "
              "this address, the e-mail explains how to log in.",
    },
    "msg.code_sent": {"fr": "Si un compte correspond, un nouveau code vient d'être envoyé.",
                      "en": "If an account matches, a new code has just been sent."},
    "msg.already_verified": {"fr": "Votre adresse e-mail est déjà vérifiée.",
                             "en": "Your e-mail address is already verified."},
    "msg.verified_account": {"fr": "Adresse e-mail vérifiée. Merci !", "en": "E-mail address verified. Thank you!"},
    "msg.verified": {"fr": "Adresse vérifiée. Vous pouvez vous connecter.",
                     "en": "Address verified. You can now log in."},
    "msg.reset_sent": {
        "fr": "Si un compte existe pour cette adresse, un code vient d'être envoyé. Saisissez-le ci-dessous avec "
              "votre nouveau mot de passe.",
        "en": "If an account exists for this address, a code has just been sent. Enter it below with your new "
              "password.",
    },
    "msg.password_reset": {"fr": "Mot de passe modifié. Connectez-vous avec le nouveau mot de passe.",
                           "en": "Password changed. Log in with your new password."},
    "msg.profile_updated": {"fr": "Profil mis à jour.", "en": "Profile updated."},
    "msg.password_changed": {"fr": "Mot de passe modifié. Vos autres sessions ont été fermées.",
                             "en": "Password changed. Your other sessions were logged out."},
    "msg.2fa_enabled": {"fr": "Vérification en deux étapes activée.", "en": "Two-step verification enabled."},
    "msg.2fa_disabled": {"fr": "Vérification en deux étapes désactivée.", "en": "Two-step verification disabled."},
    "msg.codes_regenerated": {"fr": "Nouveaux codes de secours générés.", "en": "New recovery codes generated."},
    "msg.session_revoked": {"fr": "Session fermée.", "en": "Session logged out."},
    "msg.sessions_revoked": {"fr": "Toutes vos autres sessions ont été fermées.",
                             "en": "All your other sessions were logged out."},
    "msg.recovery_used": {
        "fr": "Vous vous êtes connecté avec un code de secours : il ne pourra plus servir.",
        "en": "You logged in with a recovery code: it cannot be used again.",
    },
    "msg.account_deleted": {"fr": "Votre compte a été supprimé et vos données personnelles anonymisées.",
                            "en": "Your account was deleted and your personal data anonymised."},
    "msg.logged_out": {"fr": "Vous êtes déconnecté.", "en": "You are logged out."},
}
