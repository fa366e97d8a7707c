"""Reference data of the registry that the platform seeds where missing (never overwriting an
administrator's edit): the code categories of GB 32100-2015 positions 1-2.

Seeded by the data migration that created the table and again after every migrate (post_migrate),
so a database emptied by a flush (the test suite's transactional tests) gets them back.
"""

from __future__ import annotations

# Positions 1-2 of GB 32100-2015 codes (DOMAIN.md section 1); data, editable in the admin.
CODE_CATEGORIES = [
    ("11", "机构编制", "机关", "government_agency"),
    ("12", "机构编制", "事业单位", "public_institution"),
    ("13", "机构编制", "群团组织", "social_organisation"),
    ("19", "机构编制", "其他", "other"),
    ("21", "外交", "外国常驻新闻机构", "other"),
    ("29", "外交", "其他", "other"),
    ("31", "司法行政", "律师事务所", "other"),
    ("32", "司法行政", "公证处", "other"),
    ("33", "司法行政", "基层法律服务所", "other"),
    ("34", "司法行政", "司法鉴定机构", "other"),
    ("35", "司法行政", "仲裁委员会", "other"),
    ("39", "司法行政", "其他", "other"),
    ("41", "文化", "外国在华文化中心", "other"),
    ("49", "文化", "其他", "other"),
    ("51", "民政", "社会团体", "social_organisation"),
    ("52", "民政", "民办非企业单位", "social_organisation"),
    ("53", "民政", "基金会", "social_organisation"),
    ("59", "民政", "其他", "social_organisation"),
    ("61", "旅游", "外国旅游部门常驻代表机构", "other"),
    ("62", "旅游", "港澳台地区旅游部门常驻内地（大陆）代表机构", "other"),
    ("69", "旅游", "其他", "other"),
    ("71", "宗教", "宗教活动场所", "social_organisation"),
    ("72", "宗教", "宗教院校", "social_organisation"),
    ("79", "宗教", "其他", "social_organisation"),
    ("81", "工会", "基层工会", "social_organisation"),
    ("89", "工会", "其他", "social_organisation"),
    ("91", "市场监管", "企业", "enterprise"),
    ("92", "市场监管", "个体工商户", "individual_business"),
    ("93", "市场监管", "农民专业合作社", "farmer_cooperative"),
    ("A1", "中央军委改革和编制办公室", "军队事业单位", "public_institution"),
    ("A9", "中央军委改革和编制办公室", "其他", "other"),
    ("N1", "农业", "组级集体经济组织", "other"),
    ("N2", "农业", "村级集体经济组织", "other"),
    ("N3", "农业", "乡镇级集体经济组织", "other"),
    ("N9", "农业", "其他", "other"),
    ("Y1", "其他", "其他", "other"),
]


def seed_code_categories() -> int:
    """Create the categories that are missing; returns how many were created."""
    from registry.models import CodeCategory

    existing = set(CodeCategory.objects.values_list("code", flat=True))
    missing = [
        CodeCategory(code=code, authority=authority, name=name, subject_type=subject_type)
        for code, authority, name, subject_type in CODE_CATEGORIES
        if code not in existing
    ]
    CodeCategory.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)
