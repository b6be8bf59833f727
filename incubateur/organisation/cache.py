"""The version stamp of everything the public sees of the organisation (see core/stamps.py)."""

from incubateur.core.stamps import Stamp

stamp = Stamp("organisation")
version = stamp.version
bump = stamp.bump
key = stamp.key
