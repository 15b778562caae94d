from runtime.db import run_migrations_from_env
from services.enrollment.models import Base

run_migrations_from_env(Base.metadata)
