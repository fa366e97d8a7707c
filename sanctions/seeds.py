"""Seed catalogues, created where missing after every migrate (administrators' edits are kept):
the measure list, the behaviour list, the indicator system and the sandbox's risk-trigger list.

Sources of the measures (措施清单), as adopted by Beijing's 2020-2022 joint reward and punishment
action plan and its lists of objects, behaviours and measures:
- 国发〔2016〕33号: State Council guiding opinion on joint incentives for the trustworthy and joint
  punishment of the dishonest (rewards: green channels, fewer inspections, priority in procurement
  and financing; punishments: limits on procurement, subsidies, licensing, honours).
- 国办发〔2019〕35号: credit-based supervision (graded supervision, key-attention objects, the
  inspection ratio following the credit grade).
- 发改财金〔2016〕141号: memorandum on joint punishment of dishonest judgment debtors.
- 发改财金〔2016〕1467号: memorandum on joint rewards for grade-A taxpayers.
- 《中华人民共和国政府采购法》 art. 22 and 77, 《政府采购法实施条例》 art. 19 (no major illegal
  record within 3 years; bans of 1 to 3 years).
- 《企业信息公示暂行条例》 art. 17-18 (abnormality list; limits in procurement, bidding, land
  transfer and honours; after 3 years the serious list and a 3-year bar on the legal representative).
- 国家市场监督管理总局令第44号 《市场监督管理严重违法失信名单管理办法》 (2021).
- 北京市人民政府令第280号 《北京市公共信用信息管理办法》 (2018).
"""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from registry.choices import Sector, Severity
from sanctions.choices import (
    IndicatorKind,
    ListKind,
    MeasureType,
    RuleKind,
    Scenario,
    SystemStatus,
    TriggerKind,
)

S = Scenario
PUNISH, REWARD = MeasureType.PUNISHMENT, MeasureType.REWARD

# (code, list, type, name, content, legal basis, implementing department, scenarios, months)
MEASURES = [
    # -- Serious illegal and dishonest list ---------------------------------------------------
    (
        "sd-procurement-ban",
        ListKind.SERIOUS_DISHONESTY,
        PUNISH,
        "限制参加政府采购活动",
        "列入严重失信主体名单的，自列入之日起三年内不得作为供应商参加政府采购活动。",
        "《中华人民共和国政府采购法》第二十二条、第七十七条；《中华人民共和国政府采购法实施条例》第十九条",
        "北京市财政局",
        [S.GOVERNMENT_PROCUREMENT],
        36,
    ),
    (
        "sd-bidding-restriction",
        ListKind.SERIOUS_DISHONESTY,
        PUNISH,
        "限制参与招标投标",
        "依法限制参与工程建设项目招标投标，在评标中将失信情况作为否决或扣分因素。",
        "国发〔2016〕33号第（十一）项；《北京市公共信用信息管理办法》（北京市人民政府令第280号）",
        "北京市发展和改革委员会",
        [S.BIDDING],
        None,
    ),
    (
        "sd-subsidy-restriction",
        ListKind.SERIOUS_DISHONESTY,
        PUNISH,
        "限制申请财政性资金和政策支持",
        "依法限制申请财政补助补贴、专项资金等政策性资金支持。",
        "国发〔2016〕33号第（十一）项",
        "北京市财政局",
        [S.FINANCING],
        None,
    ),
    (
        "sd-licensing-scrutiny",
        ListKind.SERIOUS_DISHONESTY,
        PUNISH,
        "行政许可重点审查",
        "办理行政许可时列为重点审查对象，不适用告知承诺制、容缺受理等便利措施。",
        "国发〔2016〕33号第（十二）项；国办发〔2019〕35号",
        "北京市政务服务和数据管理局",
        [S.LICENSING, S.MARKET_ACCESS],
        None,
    ),
    (
        "sd-honours-exclusion",
        ListKind.SERIOUS_DISHONESTY,
        PUNISH,
        "取消评先评优资格",
        "不得参加各类表彰评优，已获得的荣誉称号依规撤销。",
        "国发〔2016〕33号第（十四）项",
        "北京市人力资源和社会保障局",
        [S.HONOURS],
        None,
    ),
    (
        "sd-intensive-supervision",
        ListKind.SERIOUS_DISHONESTY,
        PUNISH,
        "列为重点监管对象",
        "提高随机抽查比例和频次，实施重点监管。",
        "《市场监督管理严重违法失信名单管理办法》（国家市场监督管理总局令第44号）；国办发〔2019〕35号",
        "北京市市场监督管理局",
        [S.INSPECTIONS],
        None,
    ),
    (
        "sd-financing-reference",
        ListKind.SERIOUS_DISHONESTY,
        PUNISH,
        "融资授信审慎",
        "金融机构将严重失信情况作为融资授信的重要参考，依法提高贷款利率或限制授信。",
        "国发〔2016〕33号第（十三）项",
        "北京市地方金融管理局",
        [S.FINANCING],
        None,
    ),
    (
        "sd-representative-bar",
        ListKind.SERIOUS_DISHONESTY,
        PUNISH,
        "法定代表人任职限制",
        "企业被列入严重违法失信名单的，其法定代表人、负责人三年内不得担任其他企业的法定代表人、负责人。",
        "《企业信息公示暂行条例》第十七条",
        "北京市市场监督管理局",
        [S.MARKET_ACCESS],
        36,
    ),
    # -- Business abnormality list --------------------------------------------------------------
    (
        "ba-procurement-limit",
        ListKind.BUSINESS_ABNORMALITY,
        PUNISH,
        "政府采购中依法限制",
        "在政府采购中将列入经营异常名录作为重要考量因素，依法予以限制。",
        "《企业信息公示暂行条例》第十八条",
        "北京市财政局",
        [S.GOVERNMENT_PROCUREMENT],
        None,
    ),
    (
        "ba-bidding-limit",
        ListKind.BUSINESS_ABNORMALITY,
        PUNISH,
        "工程招投标中依法限制",
        "在工程招投标中将列入经营异常名录作为重要考量因素，依法予以限制。",
        "《企业信息公示暂行条例》第十八条",
        "北京市住房和城乡建设委员会",
        [S.BIDDING],
        None,
    ),
    (
        "ba-land-and-honours",
        ListKind.BUSINESS_ABNORMALITY,
        PUNISH,
        "国有土地出让、授予荣誉称号中依法限制",
        "在国有土地出让和授予荣誉称号中依法予以限制或者禁入。",
        "《企业信息公示暂行条例》第十八条",
        "北京市规划和自然资源委员会",
        [S.MARKET_ACCESS, S.HONOURS],
        None,
    ),
    (
        "ba-inspection-focus",
        ListKind.BUSINESS_ABNORMALITY,
        PUNISH,
        "列为重点监督检查对象",
        "在随机抽查中提高抽查比例。",
        "《企业经营异常名录管理暂行办法》；国办发〔2019〕35号",
        "北京市市场监督管理局",
        [S.INSPECTIONS],
        None,
    ),
    # -- Dishonest judgment debtors -------------------------------------------------------------
    (
        "djd-procurement-ban",
        ListKind.DISHONEST_JUDGMENT_DEBTOR,
        PUNISH,
        "限制参加政府采购",
        "失信被执行人不得作为供应商参加政府采购活动。",
        "《关于对失信被执行人实施联合惩戒的合作备忘录》（发改财金〔2016〕141号）",
        "北京市财政局",
        [S.GOVERNMENT_PROCUREMENT],
        None,
    ),
    (
        "djd-bidding-ban",
        ListKind.DISHONEST_JUDGMENT_DEBTOR,
        PUNISH,
        "限制参与工程建设项目招标投标",
        "限制失信被执行人作为投标人参与工程建设项目招标投标。",
        "《关于对失信被执行人实施联合惩戒的合作备忘录》（发改财金〔2016〕141号）",
        "北京市住房和城乡建设委员会",
        [S.BIDDING],
        None,
    ),
    (
        "djd-financing-limit",
        ListKind.DISHONEST_JUDGMENT_DEBTOR,
        PUNISH,
        "限制融资授信",
        "金融机构在融资授信中对失信被执行人予以限制。",
        "《最高人民法院关于公布失信被执行人名单信息的若干规定》；发改财金〔2016〕141号",
        "中国人民银行北京市分行",
        [S.FINANCING],
        None,
    ),
    (
        "djd-market-access",
        ListKind.DISHONEST_JUDGMENT_DEBTOR,
        PUNISH,
        "限制设立金融类机构和从事特定行业",
        "限制设立融资性担保公司、小额贷款公司等金融类机构，限制从事特定行业或项目。",
        "《关于对失信被执行人实施联合惩戒的合作备忘录》（发改财金〔2016〕141号）",
        "北京市地方金融管理局",
        [S.MARKET_ACCESS, S.LICENSING],
        None,
    ),
    (
        "djd-honours-ban",
        ListKind.DISHONEST_JUDGMENT_DEBTOR,
        PUNISH,
        "限制授予荣誉称号",
        "不得授予文明单位、道德模范等荣誉称号。",
        "《关于对失信被执行人实施联合惩戒的合作备忘录》（发改财金〔2016〕141号）",
        "北京市精神文明建设办公室",
        [S.HONOURS],
        None,
    ),
    # -- Key-attention list -------------------------------------------------------------------
    (
        "ka-higher-inspection-ratio",
        ListKind.KEY_ATTENTION,
        PUNISH,
        "提高随机抽查比例和频次",
        "重点关注对象在“双随机、一公开”抽查中提高抽查比例和频次。",
        "国办发〔2019〕35号（分级分类监管）",
        "北京市市场监督管理局",
        [S.INSPECTIONS],
        12,
    ),
    (
        "ka-no-commitment-approval",
        ListKind.KEY_ATTENTION,
        PUNISH,
        "不适用告知承诺和容缺受理",
        "办理行政许可时不适用告知承诺制和容缺受理，实行全面审查。",
        "国办发〔2019〕35号",
        "北京市政务服务和数据管理局",
        [S.LICENSING],
        None,
    ),
    # -- Red list -----------------------------------------------------------------------------
    (
        "rl-green-channel",
        ListKind.RED_LIST,
        REWARD,
        "行政审批“绿色通道”",
        "行政许可优先办理、简化程序，可适用容缺受理和告知承诺。",
        "国发〔2016〕33号第（五）项",
        "北京市政务服务和数据管理局",
        [S.LICENSING, S.MARKET_ACCESS],
        None,
    ),
    (
        "rl-fewer-inspections",
        ListKind.RED_LIST,
        REWARD,
        "降低抽查比例和频次",
        "在“双随机、一公开”抽查中适当降低抽查比例和频次，无事不扰。",
        "国发〔2016〕33号第（六）项；国办发〔2019〕35号",
        "北京市市场监督管理局",
        [S.INSPECTIONS],
        None,
    ),
    (
        "rl-procurement-priority",
        ListKind.RED_LIST,
        REWARD,
        "政府采购和招标投标中优先考虑",
        "在政府采购、招标投标中，同等条件下优先选择，可依法依规采取信用加分等措施。",
        "国发〔2016〕33号第（五）项",
        "北京市财政局",
        [S.GOVERNMENT_PROCUREMENT, S.BIDDING],
        None,
    ),
    (
        "rl-financing-support",
        ListKind.RED_LIST,
        REWARD,
        "融资授信便利",
        "金融机构在授信额度、利率、审批时效等方面给予优惠和便利。",
        "国发〔2016〕33号第（七）项；发改财金〔2016〕1467号",
        "北京市地方金融管理局",
        [S.FINANCING],
        None,
    ),
    (
        "rl-honours-priority",
        ListKind.RED_LIST,
        REWARD,
        "评先评优中优先考虑",
        "在各类表彰评优中同等条件下优先考虑。",
        "国发〔2016〕33号第（五）项",
        "北京市人力资源和社会保障局",
        [S.HONOURS],
        None,
    ),
]

# (code, name, kind, target list, fields)
BEHAVIOUR_RULES = [
    (
        "food-serious-penalty",
        "食品安全领域严重违法行为",
        RuleKind.SERIOUS_PENALTY_IN_SECTOR,
        ListKind.SERIOUS_DISHONESTY,
        {
            "severity": Severity.SERIOUS,
            "sector": Sector.FOOD,
            "window_months": 12,
            "legal_basis": "《市场监督管理严重违法失信名单管理办法》（国家市场监督管理总局令第44号）第五条："
            "食品安全领域受到较重行政处罚的严重违法失信行为。",
        },
    ),
    (
        "three-general-penalties",
        "十二个月内受到三次一般行政处罚",
        RuleKind.PENALTIES_IN_WINDOW,
        ListKind.KEY_ATTENTION,
        {
            "severity": Severity.GENERAL,
            "count": 3,
            "window_months": 12,
            "legal_basis": "国办发〔2019〕35号：对失信但未达到严重失信名单认定标准的主体"
            "列入重点关注对象名单，实施分级分类监管。",
        },
    ),
    (
        "annual-report-not-filed",
        "未在6月30日前报送上一年度年度报告",
        RuleKind.ANNUAL_REPORT_NOT_FILED,
        ListKind.BUSINESS_ABNORMALITY,
        {
            "due_month": 6,
            "due_day": 30,
            "legal_basis": "《企业信息公示暂行条例》第八条、第十七条；"
            "《企业经营异常名录管理暂行办法》第四条。",
        },
    ),
    (
        "abnormality-three-years",
        "列入经营异常名录届满三年仍未履行相关义务",
        RuleKind.STILL_ABNORMAL,
        ListKind.SERIOUS_DISHONESTY,
        {
            "window_months": 36,
            "legal_basis": "《企业信息公示暂行条例》第十七条第二款；《市场监督管理严重违法失信名单管理办法》"
            "（国家市场监督管理总局令第44号）第十三条：被列入经营异常名录届满三年仍未履行相关义务的，"
            "列入严重违法失信名单。",
        },
    ),
]

# Indicator system v1: base 100; A from 105, B from 95, C from 70, D below (a dishonesty list: D).
INDICATOR_SYSTEM = {
    "code": "beijing-grading",
    "version": 1,
    "name": "北京市公共信用综合评价指标体系",
    "threshold_a": Decimal("105"),
    "threshold_b": Decimal("95"),
    "threshold_c": Decimal("70"),
    "notes": "国办发〔2019〕35号：以公共信用综合评价结果为依据实施分级分类监管。",
}
# (code, name, kind, points per unit, counted up to, window months)
INDICATORS = [
    ("base", "基础分", IndicatorKind.BASE, Decimal("100"), None, None),
    ("general-penalties", "近12个月一般行政处罚", IndicatorKind.GENERAL_PENALTIES, Decimal("-5"), 6, 12),
    ("serious-penalties", "近36个月严重行政处罚", IndicatorKind.SERIOUS_PENALTIES, Decimal("-20"), 3, 36),
    ("dishonesty-lists", "列入失信名单", IndicatorKind.DISHONESTY_LISTS, Decimal("-40"), 2, None),
    ("key-attention", "列入重点关注对象名单", IndicatorKind.KEY_ATTENTION, Decimal("-15"), 1, None),
    ("red-list", "列入守信激励对象名单", IndicatorKind.RED_LIST, Decimal("10"), 1, None),
    ("licences", "行政许可", IndicatorKind.LICENCES, Decimal("1"), 5, None),
    ("commitments", "信用承诺", IndicatorKind.CREDIT_COMMITMENTS, Decimal("2"), 3, None),
    ("inspection-problems", "近24个月抽查发现问题", IndicatorKind.INSPECTION_PROBLEMS, Decimal("-10"), 3, 24),
    ("years", "成立年限", IndicatorKind.YEARS_ESTABLISHED, Decimal("1"), 5, None),
]

SAFETY_SECTORS = [Sector.FOOD, Sector.DRUGS, Sector.SPECIAL_EQUIPMENT, Sector.WORK_SAFETY, Sector.FIRE_SAFETY]
# The risk-trigger list: nine red-line types, as the Chengdu credit-sandbox pilot has.
# (code, name, kind, exits the sandbox, fields)
RISK_TRIGGERS = [
    ("rt-dishonest-debtor", "被列为失信被执行人", TriggerKind.DISHONEST_JUDGMENT_DEBTOR, True, {}),
    ("rt-serious-dishonesty", "被列入严重失信主体名单", TriggerKind.SERIOUS_DISHONESTY, True, {}),
    ("rt-business-abnormality", "被列入经营异常名录", TriggerKind.BUSINESS_ABNORMALITY, True, {}),
    ("rt-serious-penalty", "受到严重行政处罚", TriggerKind.SERIOUS_PENALTY, True, {}),
    (
        "rt-repeated-penalties",
        "12个月内受到2次以上行政处罚",
        TriggerKind.REPEATED_PENALTIES,
        False,
        {"count": 2, "window_months": 12},
    ),
    (
        "rt-safety-sector",
        "在安全生产、食品药品等领域受到行政处罚",
        TriggerKind.SAFETY_SECTOR_PENALTY,
        False,
        {"sectors": SAFETY_SECTORS},
    ),
    ("rt-licence-withdrawn", "被吊销或暂扣许可证件", TriggerKind.LICENCE_WITHDRAWN, True, {}),
    ("rt-inspection-problem", "随机抽查发现问题", TriggerKind.INSPECTION_PROBLEM, False, {}),
    ("rt-abnormal-operation", "停业、被吊销营业执照或注销", TriggerKind.ABNORMAL_OPERATION, True, {}),
]


def seed_catalogues() -> dict[str, int]:
    """Create every seeded row whose code is missing; rows that exist are administrators' now."""
    from sanctions.models import BehaviourRule, Indicator, IndicatorSystem, Measure, RiskTrigger

    created = {"measures": 0, "rules": 0, "systems": 0, "triggers": 0}
    existing = set(Measure.objects.values_list("code", flat=True))
    new = [
        Measure(
            code=code,
            list_kind=kind,
            measure_type=measure_type,
            name=name,
            content=content,
            legal_basis=basis,
            implementing_department=department,
            scenarios=[str(s) for s in scenarios],
            duration_months=months,
        )
        for code, kind, measure_type, name, content, basis, department, scenarios, months in MEASURES
        if code not in existing
    ]
    created["measures"] = len(Measure.objects.bulk_create(new))
    existing = set(BehaviourRule.objects.values_list("code", flat=True))
    rules = [
        BehaviourRule(code=code, name=name, kind=kind, target_list=target, **fields)
        for code, name, kind, target, fields in BEHAVIOUR_RULES
        if code not in existing
    ]
    created["rules"] = len(BehaviourRule.objects.bulk_create(rules))
    if not IndicatorSystem.objects.filter(code=INDICATOR_SYSTEM["code"]).exists():
        active = not IndicatorSystem.objects.filter(status=SystemStatus.ACTIVE).exists()
        system = IndicatorSystem.objects.create(
            **INDICATOR_SYSTEM,
            status=SystemStatus.ACTIVE if active else SystemStatus.DRAFT,
            activated_at=timezone.now() if active else None,
        )
        Indicator.objects.bulk_create(
            [
                Indicator(
                    system=system,
                    code=code,
                    name=name,
                    kind=kind,
                    weight=weight,
                    cap=cap,
                    window_months=window,
                    position=i,
                )
                for i, (code, name, kind, weight, cap, window) in enumerate(INDICATORS)
            ]
        )
        created["systems"] = 1
    existing = set(RiskTrigger.objects.values_list("code", flat=True))
    triggers = [
        RiskTrigger(code=code, name=name, kind=kind, exits_sandbox=exits, **fields)
        for code, name, kind, exits, fields in RISK_TRIGGERS
        if code not in existing
    ]
    created["triggers"] = len(RiskTrigger.objects.bulk_create(triggers))
    return created
