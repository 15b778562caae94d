from runtime.db import run_migrations_from_env
from services.catalog.models import Base

run_migrations_from_env(Base.metadata)
