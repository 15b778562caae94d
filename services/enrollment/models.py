"""Enrollment tables: households, members, enrolment years. Natural keys throughout
(参合证号, 个人编码), so that bulk imports merge by plain set operations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from runtime.change_feed import outbox_tables
from runtime.clock import utcnow
from runtime.db import UTCDateTime, declarative_base

Base = declarative_base()


class Household(Base):
    __tablename__ = "households"

    card: Mapped[str] = mapped_column(String(30), primary_key=True)  # chzh
    head_name: Mapped[str] = mapped_column(String(50), default="")  # hzxm
    address: Mapped[str] = mapped_column(String(200), default="")  # jtdz
    region_code: Mapped[str] = mapped_column(String(12), default="")  # xzqh
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (Index("ix_members_card", "card"),)

    member_id: Mapped[str] = mapped_column(String(30), primary_key=True)  # grbm
    card: Mapped[str] = mapped_column(String(30), ForeignKey("households.card"))  # chzh
    name: Mapped[str] = mapped_column(String(50))  # xm
    sex: Mapped[str] = mapped_column(String(1), default="")  # xb
    birth_date: Mapped[str] = mapped_column(String(10), default="")  # csrq, yyyy-MM-dd
    # 身份证号: personal information; never logged, masked for callers without letter E.
    id_number: Mapped[str] = mapped_column(String(18), default="")  # sfzh
    relation: Mapped[str] = mapped_column(String(20), default="")  # yhzgx
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Enrollment(Base):
    __tablename__ = "enrollments"
    __table_args__ = (PrimaryKeyConstraint("member_id", "year"),)

    member_id: Mapped[str] = mapped_column(String(30), ForeignKey("members.member_id"))
    year: Mapped[int] = mapped_column(Integer)  # cbnd
    status: Mapped[str] = mapped_column(String(1))  # cbzt: 1 正常, 0 停止
    category: Mapped[str] = mapped_column(String(1))  # rylb: 1 普通, 2 五保, 3 低保, 4 优抚
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# The change feed (runtime.change_feed): who a member is and their years, for settlement's copy.
FEED_CHANGES, FEED_SEQUENCES = outbox_tables(Base.metadata)

# Finding a member by ID number (the centre's web console).
Index("ix_members_id_number", Member.id_number)
