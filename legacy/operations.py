"""The contract's SOAP operations (soap-interface.md): names, parameters in WSDL
order, return kinds. The WSDL, the SOAP service, the digest and the handlers are all
derived from this one table.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import tables

STRING = "string"
DATASET = "dataset"


@dataclass(frozen=True)
class Parameter:
    name: str
    kind: str = STRING  # STRING or DATASET
    table: tables.TableSpec | None = None  # the table a DATASET parameter carries


@dataclass(frozen=True)
class Operation:
    name: str
    parameters: tuple[Parameter, ...]
    returns: str  # STRING or DATASET
    # Which parameters carry the calling user and its password.
    user_parameter: str = "yh"
    password_parameter: str = "kl"
    # The parameter naming the hospital; zysjcxjk, called on a hospital, has none.
    hospital_parameter: str | None = "yydm"

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)

    @property
    def datasets(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.kind == DATASET)


def _params(*names: str, **datasets: tables.TableSpec) -> tuple[Parameter, ...]:
    return tuple(Parameter(n, DATASET, datasets[n]) if n in datasets else Parameter(n) for n in names)


OPERATIONS: tuple[Operation, ...] = (
    Operation("yhklxgjk", _params("yydm", "yh", "ykl", "xkl", "xxzy"), STRING,
              password_parameter="ykl"),
    Operation("Yhzjjk", _params("yydm", "fqyh", "fqyhkl", "xzyh", "xzyhkl", "yxfwip", "fwqx", "xxzy"),
              STRING, user_parameter="fqyh", password_parameter="fqyhkl"),
    Operation("Yhscjk", _params("yydm", "fqyh", "fqyhkl", "scyh", "xxzy"), STRING,
              user_parameter="fqyh", password_parameter="fqyhkl"),
    Operation("ypmljk", _params("yydm", "yh", "kl", "ypml", "xxzy", ypml=tables.YPML), STRING),
    Operation("zlmljk", _params("yydm", "yh", "kl", "zlml", "xxzy", zlml=tables.ZLML), STRING),
    Operation("chryxxjk", _params("yydm", "yh", "kl", "chzh", "xxzy"), DATASET),
    Operation("mzjsjk", _params("yydm", "yh", "kl", "jszjl", "jsmxjl", "xxzy",
                                jszjl=tables.MZZB, jsmxjl=tables.MZMX), DATASET),
    Operation("mzjstfjk", _params("yydm", "yh", "kl", "mzbh", "xxzy"), STRING),
    Operation("zydjjk", _params("yydm", "yh", "kl", "rydj", "xxzy", rydj=tables.RYDJ), STRING),
    Operation("zysjcxjk", _params("yh", "kl", "zybh", "xxzy"), DATASET, hospital_parameter=None),
    Operation("zyjsjk", _params("yydm", "yh", "kl", "jszjl", "jsmxjl", "xxzy",
                                jszjl=tables.ZYZB, jsmxjl=tables.ZYMX), STRING),
    Operation("zyjstfjk", _params("yydm", "yh", "kl", "zybh", "xxzy"), STRING),
    # Extensions (datasets.md): added operations keep every old client working.
    Operation("zyjsjgcx", _params("yydm", "yh", "kl", "zybh", "xxzy"), DATASET),
    Operation("dzjk", _params("yydm", "yh", "kl", "dzrq", "dzsj", "xxzy", dzsj=tables.DZMX), DATASET),
)

BY_NAME: dict[str, Operation] = {op.name: op for op in OPERATIONS}

# The NCMS publishes every operation, so that one generated proxy serves a HIS for
# both directions. zysjcxjk names no hospital; called on the NCMS it is refused by
# authentication (E1007): each hospital provides it.
NCMS_SIDE = OPERATIONS
# Operations a hospital's own service provides, called by the NCMS.
HOSPITAL_SIDE = tuple(BY_NAME[n] for n in ("yhklxgjk", "Yhzjjk", "Yhscjk", "zysjcxjk"))
