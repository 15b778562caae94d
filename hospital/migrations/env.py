from hospital.sql_adapter import Base
from runtime.db import run_migrations_from_env

run_migrations_from_env(Base.metadata)
