import hashlib

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone

from incubateur.core.roles import role_of
from incubateur.core.text import datetime_fr


def normalize_email(email: str) -> str:
    """Addresses are compared without case: `Paul.Burgun@Beta.gouv.fr` is `paul.burgun@beta.gouv.fr`."""
    return (email or "").strip().lower()


class UserQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def by_email(self, email: str):
        return self.filter(email=normalize_email(email))


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("Une adresse e-mail est obligatoire.")
        user = self.model(email=normalize_email(email), **extra_fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self._create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """An account, identified by its e-mail address. People log in with a link sent to it."""

    email = models.EmailField("adresse e-mail", unique=True)
    # beta.gouv.fr member id (`prenom.nom`), for people of the community and of the Incubator.
    username = models.CharField(
        "identifiant beta.gouv.fr", max_length=150, unique=True, null=True, blank=True, help_text="prenom.nom"
    )
    first_name = models.CharField("prénom", max_length=150, blank=True)
    last_name = models.CharField("nom", max_length=150, blank=True)
    is_active = models.BooleanField("actif", default=True)
    is_staff = models.BooleanField(
        "accès à l'administration", default=False, help_text="Peut se connecter à l'administration Django."
    )
    is_incubator_staff = models.BooleanField(
        "équipe de l'Incubateur",
        default=False,
        help_text="Tenu à jour par l'organisation : une personne qui occupe un poste à l'Incubateur.",
    )
    date_joined = models.DateTimeField("inscrit le", default=timezone.now)
    # Set by `services.change_email`: a read of a confidential request near this moment is flagged to its requester.
    email_changed_at = models.DateTimeField("adresse changée le", null=True, blank=True, editable=False)
    # The account's ProConnect subject (`sub`), stored at the first ProConnect login (#15).
    proconnect_sub = models.CharField(
        "identifiant ProConnect", max_length=255, unique=True, null=True, blank=True, editable=False
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = "compte"
        verbose_name_plural = "comptes"
        ordering = ["last_name", "first_name", "email"]

    def __str__(self):
        return self.get_full_name() or self.email

    def clean(self):
        super().clean()
        self.email = normalize_email(self.email)

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email

    @property
    def display_name(self) -> str:
        """How the platform names a person everywhere: full name, else username, else address."""
        return self.get_full_name() or self.username or self.email

    @property
    def public_name(self) -> str:
        """How a public text (a PUBLIC journal row) names a person: never their address."""
        return self.get_full_name() or self.username or "(nom non renseigné)"

    @property
    def role(self):
        return role_of(self)


class LoginTokenQuerySet(models.QuerySet):
    def usable(self, now=None):
        return self.filter(used_at__isnull=True, expires_at__gt=now or timezone.now(), user__is_active=True)


class LoginToken(models.Model):
    """A single-use login link. Only the SHA-256 of its secret is stored."""

    # None: asked for an address without an active account. The request does the same work as for a known one (its
    # time tells nothing); such a token is never usable and its message is never sent.
    user = models.ForeignKey(
        User, verbose_name="compte", on_delete=models.CASCADE, related_name="login_tokens", null=True, blank=True
    )
    token_hash = models.CharField("empreinte", max_length=64, unique=True)
    created_at = models.DateTimeField("créé le", default=timezone.now)
    expires_at = models.DateTimeField("expire le")
    used_at = models.DateTimeField("utilisé le", null=True, blank=True)
    requested_from = models.GenericIPAddressField("demandé depuis", null=True, blank=True)
    # The outbox row that carries the link. The row holds the message with the link masked: the worker makes the
    # secret and writes the link in at send time (`services.login_link_render`), so no page ever shows it.
    notification = models.OneToOneField(
        "core.Notification",
        verbose_name="notification",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="login_token",
    )

    objects = LoginTokenQuerySet.as_manager()

    class Meta:
        verbose_name = "lien de connexion"
        verbose_name_plural = "liens de connexion"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.user or 'adresse sans compte'} ({datetime_fr(self.created_at)})"

    @staticmethod
    def hash(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def usable(self):
        return self.filter(revoked_at__isnull=True, user__is_active=True)


class ApiToken(models.Model):
    """A bearer token for the API (`Authorization: Bearer <token>`). Only the SHA-256 of its secret is stored."""

    user = models.ForeignKey(User, verbose_name="compte", on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("nom", max_length=200, blank=True)
    token_hash = models.CharField("empreinte", max_length=64, unique=True)
    created_at = models.DateTimeField("créé le", default=timezone.now)
    last_used_at = models.DateTimeField("dernière utilisation", null=True, blank=True)
    revoked_at = models.DateTimeField("révoqué le", null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = "jeton d'API"
        verbose_name_plural = "jetons d'API"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name or 'jeton'} — {self.user}"

    @staticmethod
    def hash(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()
