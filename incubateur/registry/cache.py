"""The version stamp of the registry's public reads (pages, /api/v2.7/*.json, /api/v1/). See core/stamps.py.

Model saves and deletes bump it through signals (apps.py); bulk writes (the importer) call `bump()` themselves.
"""

from incubateur.core.stamps import Stamp

stamp = Stamp("registry")
version = stamp.version
bump = stamp.bump
key = stamp.key
