"""The sandbox's data: an NCMS catalog of a few hundred common items, the sandbox
hospital's own catalog mapped to it, households, and the hospital's in-patients.

Deterministic (the same on every machine), so that the walkthrough's examples exist.
The drugs are common essential medicines with plausible specifications; approval
numbers, codes and people are made up.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime

from runtime.clock import BEIJING

# The enrolment import format of the contract (admin.md), as the demo writes it.
ENROLLMENT_COLUMNS = ("chzh", "grbm", "xm", "xb", "csrq", "sfzh", "yhzgx", "hzxm", "jtdz", "xzqh",
                      "cbnd", "cbzt", "rylb")


# (通用名, 剂型, [规格...], 单位, 收费等级, 参考价)
DRUGS = [
    ("阿莫西林胶囊", "胶囊剂", ["0.25g*24粒", "0.5g*20粒"], "盒", "甲", "8.50"),
    ("头孢氨苄胶囊", "胶囊剂", ["0.125g*24粒", "0.25g*24粒"], "盒", "甲", "6.80"),
    ("头孢呋辛酯片", "片剂", ["0.25g*12片"], "盒", "乙", "18.60"),
    ("头孢克肟分散片", "片剂", ["0.1g*6片"], "盒", "乙", "22.40"),
    ("阿奇霉素片", "片剂", ["0.25g*6片"], "盒", "甲", "12.30"),
    ("罗红霉素胶囊", "胶囊剂", ["0.15g*12粒"], "盒", "甲", "7.90"),
    ("左氧氟沙星片", "片剂", ["0.1g*12片", "0.5g*4片"], "盒", "乙", "15.20"),
    ("诺氟沙星胶囊", "胶囊剂", ["0.1g*24粒"], "盒", "甲", "3.60"),
    ("甲硝唑片", "片剂", ["0.2g*100片"], "瓶", "甲", "4.50"),
    ("复方磺胺甲噁唑片", "片剂", ["0.48g*100片"], "瓶", "甲", "9.80"),
    ("青霉素钠注射液", "注射剂", ["80万单位"], "支", "甲", "0.85"),
    ("头孢曲松钠注射液", "注射剂", ["1.0g"], "支", "甲", "4.60"),
    ("头孢唑林钠注射液", "注射剂", ["0.5g", "1.0g"], "支", "甲", "3.20"),
    ("克林霉素磷酸酯注射液", "注射剂", ["0.3g:2ml"], "支", "乙", "2.90"),
    ("利巴韦林颗粒", "颗粒剂", ["50mg*18袋"], "盒", "乙", "8.20"),
    ("阿昔洛韦片", "片剂", ["0.1g*24片"], "盒", "甲", "5.40"),
    ("奥司他韦胶囊", "胶囊剂", ["75mg*10粒"], "盒", "乙", "68.00"),
    ("对乙酰氨基酚片", "片剂", ["0.5g*12片"], "盒", "甲", "2.80"),
    ("布洛芬缓释胶囊", "胶囊剂", ["0.3g*20粒"], "盒", "甲", "9.60"),
    ("双氯芬酸钠缓释片", "片剂", ["75mg*10片"], "盒", "甲", "6.30"),
    ("阿司匹林肠溶片", "片剂", ["100mg*30片"], "盒", "甲", "12.50"),
    ("吲哚美辛栓", "栓剂", ["0.1g*6粒"], "盒", "乙", "7.40"),
    ("复方氨酚烷胺片", "片剂", ["12片"], "盒", "丙", "9.90"),
    ("氨溴索口服溶液", "口服溶液剂", ["100ml:0.6g"], "瓶", "乙", "16.80"),
    ("复方甘草片", "片剂", ["100片"], "瓶", "甲", "5.20"),
    ("氯化铵甘草合剂", "合剂", ["100ml"], "瓶", "丙", "6.50"),
    ("沙丁胺醇气雾剂", "气雾剂", ["100μg*200揿"], "瓶", "甲", "24.50"),
    ("氨茶碱片", "片剂", ["0.1g*100片"], "瓶", "甲", "3.90"),
    ("孟鲁司特钠片", "片剂", ["10mg*5片"], "盒", "乙", "31.20"),
    ("氯雷他定片", "片剂", ["10mg*6片"], "盒", "甲", "8.70"),
    ("西替利嗪片", "片剂", ["10mg*12片"], "盒", "乙", "13.40"),
    ("马来酸氯苯那敏片", "片剂", ["4mg*100片"], "瓶", "甲", "2.10"),
    ("奥美拉唑肠溶胶囊", "胶囊剂", ["20mg*14粒"], "盒", "甲", "10.80"),
    ("雷贝拉唑钠肠溶片", "片剂", ["10mg*7片"], "盒", "乙", "29.50"),
    ("雷尼替丁胶囊", "胶囊剂", ["0.15g*30粒"], "盒", "甲", "4.30"),
    ("铝碳酸镁咀嚼片", "片剂", ["0.5g*20片"], "盒", "乙", "15.60"),
    ("多潘立酮片", "片剂", ["10mg*30片"], "盒", "甲", "11.20"),
    ("蒙脱石散", "散剂", ["3g*10袋"], "盒", "甲", "9.30"),
    ("口服补液盐散(Ⅲ)", "散剂", ["5.125g*6袋"], "盒", "甲", "3.80"),
    ("乳果糖口服溶液", "口服溶液剂", ["100ml:66.7g"], "瓶", "乙", "35.00"),
    ("山莨菪碱片", "片剂", ["5mg*100片"], "瓶", "甲", "4.60"),
    ("硝苯地平缓释片", "片剂", ["10mg*30片", "20mg*30片"], "盒", "甲", "9.80"),
    ("苯磺酸氨氯地平片", "片剂", ["5mg*7片", "5mg*28片"], "盒", "甲", "8.40"),
    ("卡托普利片", "片剂", ["25mg*100片"], "瓶", "甲", "3.20"),
    ("依那普利片", "片剂", ["10mg*16片"], "盒", "甲", "6.90"),
    ("缬沙坦胶囊", "胶囊剂", ["80mg*7粒"], "盒", "乙", "18.90"),
    ("厄贝沙坦片", "片剂", ["0.15g*7片"], "盒", "乙", "15.30"),
    ("美托洛尔片", "片剂", ["25mg*20片"], "盒", "甲", "5.50"),
    ("氢氯噻嗪片", "片剂", ["25mg*100片"], "瓶", "甲", "2.70"),
    ("螺内酯片", "片剂", ["20mg*100片"], "瓶", "甲", "4.90"),
    ("呋塞米片", "片剂", ["20mg*100片"], "瓶", "甲", "3.10"),
    ("单硝酸异山梨酯片", "片剂", ["20mg*48片"], "盒", "甲", "10.60"),
    ("硝酸甘油片", "片剂", ["0.5mg*100片"], "瓶", "甲", "6.00"),
    ("阿托伐他汀钙片", "片剂", ["20mg*7片"], "盒", "乙", "13.90"),
    ("辛伐他汀片", "片剂", ["20mg*10片"], "盒", "甲", "7.70"),
    ("氯吡格雷片", "片剂", ["75mg*7片"], "盒", "乙", "19.80"),
    ("地高辛片", "片剂", ["0.25mg*100片"], "瓶", "甲", "5.90"),
    ("二甲双胍片", "片剂", ["0.25g*48片", "0.5g*20片"], "盒", "甲", "4.20"),
    ("格列齐特缓释片", "片剂", ["30mg*30片"], "盒", "甲", "14.80"),
    ("格列美脲片", "片剂", ["2mg*15片"], "盒", "乙", "16.40"),
    ("阿卡波糖片", "片剂", ["50mg*30片"], "盒", "乙", "33.60"),
    ("胰岛素注射液", "注射剂", ["400单位:10ml"], "支", "甲", "42.00"),
    ("精蛋白生物合成人胰岛素注射液", "注射剂", ["300单位:3ml"], "支", "乙", "58.50"),
    ("左甲状腺素钠片", "片剂", ["50μg*100片"], "盒", "甲", "25.30"),
    ("甲巯咪唑片", "片剂", ["5mg*100片"], "瓶", "甲", "9.40"),
    ("泼尼松片", "片剂", ["5mg*100片"], "瓶", "甲", "4.80"),
    ("地塞米松磷酸钠注射液", "注射剂", ["5mg:1ml"], "支", "甲", "0.60"),
    ("维生素B1片", "片剂", ["10mg*100片"], "瓶", "甲", "2.20"),
    ("维生素C片", "片剂", ["0.1g*100片"], "瓶", "甲", "2.50"),
    ("复合维生素B片", "片剂", ["100片"], "瓶", "丙", "3.40"),
    ("维生素B12注射液", "注射剂", ["0.5mg:1ml"], "支", "甲", "0.70"),
    ("叶酸片", "片剂", ["5mg*100片"], "瓶", "甲", "6.10"),
    ("硫酸亚铁片", "片剂", ["0.3g*100片"], "瓶", "甲", "3.70"),
    ("碳酸钙D3片", "片剂", ["600mg*30片"], "盒", "乙", "19.60"),
    ("葡萄糖注射液", "注射剂", ["5% 250ml", "10% 500ml"], "瓶", "甲", "2.40"),
    ("氯化钠注射液", "注射剂", ["0.9% 100ml", "0.9% 250ml", "0.9% 500ml"], "瓶", "甲", "2.10"),
    ("葡萄糖氯化钠注射液", "注射剂", ["500ml"], "瓶", "甲", "2.80"),
    ("复方氯化钠注射液", "注射剂", ["500ml"], "瓶", "甲", "2.90"),
    ("乳酸钠林格注射液", "注射剂", ["500ml"], "瓶", "甲", "4.30"),
    ("氯化钾注射液", "注射剂", ["10ml:1.5g"], "支", "甲", "0.55"),
    ("碳酸氢钠注射液", "注射剂", ["10ml:0.5g"], "支", "甲", "0.65"),
    ("肝素钠注射液", "注射剂", ["2ml:12500单位"], "支", "甲", "8.80"),
    ("低分子量肝素钙注射液", "注射剂", ["0.4ml:4100AXaIU"], "支", "乙", "26.50"),
    ("维生素K1注射液", "注射剂", ["10mg:1ml"], "支", "甲", "1.20"),
    ("氨甲环酸注射液", "注射剂", ["5ml:0.5g"], "支", "甲", "2.30"),
    ("盐酸利多卡因注射液", "注射剂", ["5ml:0.1g"], "支", "甲", "0.90"),
    ("盐酸曲马多片", "片剂", ["50mg*10片"], "盒", "乙", "11.60"),
    ("地西泮片", "片剂", ["2.5mg*100片"], "瓶", "甲", "3.30"),
    ("艾司唑仑片", "片剂", ["1mg*20片"], "盒", "甲", "2.60"),
    ("盐酸氟桂利嗪胶囊", "胶囊剂", ["5mg*20粒"], "盒", "乙", "7.20"),
    ("甲钴胺片", "片剂", ["0.5mg*20片"], "盒", "乙", "21.40"),
    ("缩宫素注射液", "注射剂", ["1ml:10单位"], "支", "甲", "1.10"),
    ("黄体酮注射液", "注射剂", ["1ml:20mg"], "支", "甲", "1.80"),
    ("红霉素软膏", "软膏剂", ["1%*10g"], "支", "甲", "2.90"),
    ("莫匹罗星软膏", "软膏剂", ["2%*5g"], "支", "乙", "14.50"),
    ("曲安奈德益康唑乳膏", "乳膏剂", ["15g"], "支", "乙", "16.20"),
    ("氯霉素滴眼液", "滴眼剂", ["8ml:20mg"], "支", "甲", "1.60"),
    ("左氧氟沙星滴眼液", "滴眼剂", ["5ml:24.4mg"], "支", "乙", "18.30"),
    ("开塞露", "灌肠剂", ["20ml"], "支", "甲", "0.80"),
    ("云南白药气雾剂", "气雾剂", ["85g+30g"], "盒", "乙", "39.80"),
    ("板蓝根颗粒", "颗粒剂", ["10g*20袋"], "袋", "甲", "11.00"),
    ("双黄连口服液", "合剂", ["10ml*10支"], "盒", "乙", "19.50"),
    ("藿香正气水", "酊剂", ["10ml*10支"], "盒", "甲", "9.70"),
    ("复方丹参滴丸", "滴丸剂", ["27mg*180丸"], "瓶", "甲", "26.30"),
    ("六味地黄丸", "丸剂", ["200丸"], "瓶", "甲", "14.20"),
    ("连花清瘟胶囊", "胶囊剂", ["0.35g*24粒"], "盒", "乙", "24.80"),
    ("银黄颗粒", "颗粒剂", ["4g*10袋"], "盒", "乙", "13.60"),
    ("感冒清热颗粒", "颗粒剂", ["12g*10袋"], "盒", "甲", "12.90"),
    ("养血清脑颗粒", "颗粒剂", ["4g*15袋"], "盒", "丙", "45.00"),
]

# (名称, 单位, 收费等级, 参考价)
SERVICES = [
    ("普通门诊诊查费", "次", "甲", "5.00"), ("副主任医师诊查费", "次", "甲", "10.00"),
    ("急诊诊查费", "次", "甲", "8.00"), ("住院诊查费", "日", "甲", "10.00"),
    ("普通病房床位费", "日", "甲", "20.00"), ("双人间病房床位费", "日", "乙", "35.00"),
    ("单人间病房床位费", "日", "丙", "80.00"), ("一级护理", "日", "甲", "15.00"),
    ("二级护理", "日", "甲", "10.00"), ("三级护理", "日", "甲", "6.00"),
    ("特级护理", "小时", "甲", "8.00"), ("重症监护", "小时", "乙", "12.00"),
    ("静脉输液", "组", "甲", "6.00"), ("静脉注射", "次", "甲", "4.00"),
    ("肌肉注射", "次", "甲", "2.00"), ("皮下注射", "次", "甲", "2.00"),
    ("静脉采血", "次", "甲", "3.00"), ("雾化吸入", "次", "甲", "5.00"),
    ("氧气吸入", "小时", "甲", "3.00"), ("吸痰护理", "次", "甲", "4.00"),
    ("导尿", "次", "甲", "12.00"), ("留置导尿管护理", "日", "甲", "5.00"),
    ("灌肠", "次", "甲", "10.00"), ("换药(小)", "次", "甲", "8.00"),
    ("换药(中)", "次", "甲", "15.00"), ("换药(大)", "次", "甲", "25.00"),
    ("清创缝合(小)", "次", "甲", "60.00"), ("清创缝合(中)", "次", "甲", "120.00"),
    ("拆线", "次", "甲", "10.00"), ("血常规", "次", "甲", "15.00"),
    ("尿常规", "次", "甲", "8.00"), ("粪便常规", "次", "甲", "6.00"),
    ("大便隐血试验", "次", "甲", "8.00"), ("肝功能", "次", "甲", "45.00"),
    ("肾功能", "次", "甲", "30.00"), ("血脂四项", "次", "甲", "40.00"),
    ("血糖测定", "次", "甲", "5.00"), ("糖化血红蛋白测定", "次", "乙", "60.00"),
    ("电解质测定", "次", "甲", "25.00"), ("C反应蛋白测定", "次", "甲", "20.00"),
    ("凝血四项", "次", "甲", "50.00"), ("乙肝两对半", "次", "甲", "45.00"),
    ("血型鉴定", "次", "甲", "12.00"), ("交叉配血", "次", "甲", "20.00"),
    ("心电图", "次", "甲", "15.00"), ("动态心电图", "次", "乙", "150.00"),
    ("胸部X线摄影", "次", "甲", "40.00"), ("腹部X线摄影", "次", "甲", "40.00"),
    ("四肢X线摄影", "次", "甲", "35.00"), ("腹部B超", "次", "甲", "60.00"),
    ("泌尿系B超", "次", "甲", "50.00"), ("妇科B超", "次", "甲", "50.00"),
    ("产科B超", "次", "甲", "60.00"), ("心脏彩超", "次", "乙", "150.00"),
    ("颈部血管彩超", "次", "乙", "120.00"), ("头颅CT平扫", "次", "乙", "180.00"),
    ("胸部CT平扫", "次", "乙", "200.00"), ("腹部CT平扫", "次", "乙", "220.00"),
    ("胃镜检查", "次", "乙", "180.00"), ("肠镜检查", "次", "乙", "220.00"),
    ("针刺", "次", "甲", "10.00"), ("艾灸", "次", "甲", "10.00"),
    ("拔罐", "次", "甲", "8.00"), ("推拿", "次", "乙", "25.00"),
    ("中药熏洗", "次", "乙", "20.00"), ("红外线治疗", "次", "甲", "6.00"),
    ("中频脉冲电治疗", "次", "甲", "10.00"), ("牵引", "次", "甲", "10.00"),
    ("正常分娩", "次", "甲", "600.00"), ("剖宫产术", "次", "甲", "1200.00"),
    ("新生儿护理", "日", "甲", "10.00"), ("阑尾切除术", "次", "甲", "900.00"),
    ("疝修补术", "次", "甲", "800.00"), ("胆囊切除术", "次", "乙", "1500.00"),
    ("全身麻醉", "小时", "甲", "200.00"), ("椎管内麻醉", "次", "甲", "300.00"),
    ("局部浸润麻醉", "次", "甲", "20.00"), ("手术室使用费", "小时", "乙", "100.00"),
    ("心肺复苏术", "次", "甲", "80.00"), ("洗胃", "次", "甲", "60.00"),
    ("胸腔穿刺术", "次", "甲", "80.00"), ("腹腔穿刺术", "次", "甲", "80.00"),
    ("救护车出车费", "次", "丙", "50.00"), ("病历工本费", "本", "丙", "1.00"),
    ("健康体检套餐", "次", "丙", "120.00"), ("美容缝合", "次", "丙", "200.00"),
]

def this_year() -> int:
    return datetime.now(BEIJING).year


PRICE_LIMITED = {"奥司他韦胶囊", "阿卡波糖片", "低分子量肝素钙注射液", "心脏彩超"}


@dataclass(frozen=True)
class CatalogItem:
    nhbm: str
    name: str
    specification: str
    dosage_form: str
    unit: str
    charge_class: str
    price: str  # the reference price the hospital charges
    approval_number: str = ""

    @property
    def is_drug(self) -> bool:
        return self.nhbm.startswith("Y")


def ncms_catalog() -> list[CatalogItem]:
    """About 300 items: every drug specification and every treatment."""
    items = []
    for n, (name, form, specs, unit, level, price) in enumerate(DRUGS):
        for m, spec in enumerate(specs):
            items.append(CatalogItem(f"Y{n + 1:03d}{m + 1:02d}", name, spec, form, unit, level, price,
                                     f"国药准字H{45020000 + n * 10 + m}"))
    for n, (name, unit, level, price) in enumerate(SERVICES):
        items.append(CatalogItem(f"Z{n + 1:04d}", name, "", "", unit, level, price))
    # Enough rows to look like a county's catalogue: older and other specifications.
    for n, (name, form, specs, unit, level, price) in enumerate(DRUGS[:60]):
        items.append(CatalogItem(f"Y{n + 1:03d}90", name, f"{specs[0]}(大包装)", form, unit, level, price,
                                 f"国药准字H{45020000 + n * 10 + 9}"))
    return items


def ncms_rows(items: list[CatalogItem], drugs: bool) -> list[dict[str, str]]:
    """The catalog as `ncms catalog import` CSV rows."""
    rows = []
    for item in items:
        if item.is_drug != drugs:
            continue
        row = {"nhbm": item.nhbm, "mc": item.name, "gg": item.specification, "jx": item.dosage_form,
               "dw": item.unit, "pzwh": item.approval_number, "sfdj": item.charge_class,
               "zfbl": "0.15" if item.charge_class == "乙" and item.name.endswith("片") else "", "xj": ""}
        if item.name in PRICE_LIMITED:
            row["xj"] = item.price
        rows.append(row)
    return rows


@dataclass(frozen=True)
class HospitalItem:
    code: str
    name: str
    specification: str
    unit: str
    price: str
    proposed_nhbm: str
    approval_number: str = ""


def hospital_catalog(items: list[CatalogItem]) -> tuple[list[HospitalItem], list[HospitalItem]]:
    """The sandbox hospital's drugs and treatments: most propose their nhbm, some are
    mapped by approval number, two are its own preparations (unmapped, self-paid)."""
    drugs, services = [], []
    for n, item in enumerate(i for i in items if i.is_drug and not i.nhbm.endswith("90")):
        drugs.append(HospitalItem(f"YP{n + 1:04d}", item.name, item.specification, item.unit, item.price,
                                  "" if n % 7 == 3 else item.nhbm, item.approval_number))
    drugs.append(HospitalItem("YP9001", "院内制剂止咳合剂", "100ml", "瓶", "12.00", ""))
    drugs.append(HospitalItem("YP9002", "院内制剂烫伤膏", "20g", "支", "18.00", ""))
    for n, item in enumerate(i for i in items if not i.is_drug):
        services.append(HospitalItem(f"ZL{n + 1:04d}", item.name, "", item.unit, item.price, item.nhbm))
    return drugs, services


def hospital_item(name: str) -> HospitalItem:
    """The sandbox hospital's item of that name (its first specification)."""
    drugs, services = hospital_catalog(ncms_catalog())
    return next(item for item in (*drugs, *services) if item.name == name)


# --- households ---------------------------------------------------------------------------

SURNAMES = "韦黄覃蓝莫梁陆罗潘李张王刘陈杨周吴"
GIVEN = "秀英桂芳志强建华丽娟春梅海燕国平永红文明小龙金凤玉兰德胜𠈌"
VILLAGES = ["洛埠镇古偿村", "白沙镇板塘村", "里雍镇新维村", "雒容镇雒容村", "柳东乡大龙潭村"]
REGION = "450203"


@dataclass(frozen=True)
class Person:
    card: str
    member_id: str
    name: str
    sex: str
    birth: str
    relation: str
    status: str  # cbzt this year
    category: str  # rylb


# The household the walkthrough uses: a 低保 head, a spouse, a child whose
# enrolment stopped this year, and a 五保 grandmother.
WALKTHROUGH_CARD = "45020300100001"


def households(count: int = 40) -> list[tuple[str, str, list[Person]]]:
    """(card, village, members) for ``count`` households, the walkthrough's first."""
    rng = random.Random(2026)
    result = []
    for h in range(count):
        card = f"4502030010{h + 1:04d}"
        surname = SURNAMES[h % len(SURNAMES)]
        size = 4 if h == 0 else rng.randint(1, 6)
        members = []
        for m in range(size):
            relation = ["户主", "配偶", "子", "母", "女", "孙子"][m]
            birth_year = {"户主": 1972, "配偶": 1974, "子": 1998, "母": 1946, "女": 2001, "孙子": 2019}[relation]
            birth = date(birth_year + rng.randint(-3, 3), rng.randint(1, 12), rng.randint(1, 28)).isoformat()
            name = (surname if relation not in ("配偶", "母") else SURNAMES[(h + m + 3) % len(SURNAMES)]) + \
                rng.choice(GIVEN) + rng.choice(GIVEN)
            status, category = "1", "1"
            if h == 0:
                name = ["韦建华", "黄秀英", "韦小龙", "李𠈌"][m]
                category = {0: "3", 3: "2"}.get(m, "1")
                status = "0" if m == 2 else "1"
            elif rng.random() < 0.04:
                status = "0"
            elif relation == "母" and rng.random() < 0.3:
                category = "2"
            sex = "2" if relation in ("配偶", "母", "女") else "1"
            members.append(Person(card, f"{card}{m + 1:02d}", name, sex, birth, relation, status, category))
        result.append((card, VILLAGES[h % len(VILLAGES)], members))
    return result


def enrollment_csv_rows(year: int) -> list[list[str]]:
    """The households as `ncms enrollment import` rows (this year and last year)."""
    rows = []
    for card, village, members in households():
        head = members[0].name
        for n, person in enumerate(members):
            for each_year, status in ((year - 1, "1"), (year, person.status)):
                rows.append([card, person.member_id, person.name, person.sex, person.birth,
                             id_number(REGION, person.birth, int(card[-4:]) * 10 + n), person.relation, head,
                             f"柳州市鱼峰区{village}", f"{REGION}101", str(each_year), status, person.category])
    return rows


def id_number(region: str, birth: str, sequence: int) -> str:
    """A valid 18-character ID number (GB 11643: weighted sum of the first 17 digits
    mod 11 picks the check character) for a made-up person."""
    body = f"{region}{birth.replace('-', '')}{sequence % 1000:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
