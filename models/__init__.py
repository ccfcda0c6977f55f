"""SQLAlchemy models, one aggregate per module; importing this package registers them all."""

from models.agency import Account, Agency, AgencyKind, Role
from models.base import Base
from models.region import Region, RegionLevel
from models.schedule import JobRun, Lease

__all__ = [
    "Account",
    "Agency",
    "AgencyKind",
    "Base",
    "JobRun",
    "Lease",
    "Region",
    "RegionLevel",
    "Role",
]
