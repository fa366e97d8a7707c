"""Demo data of the portal for `make run` (development only): a commitment catalogue and an
enterprise account, signed in with an e-mail address, bound to a demo subject through the real
workflow (request with a letter, approval by the registering department's demo regulator)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from accounts.models import User
from core.uploads import check_upload
from enterprises.choices import BindingRole, BindingStatus
from enterprises.models import Binding, CommitmentType
from enterprises.services import bindings, commitments
from registry.choices import District, SubjectStatus, SubjectType
from registry.models import Department, Subject

DEMO_ENTERPRISE_USERNAME = "enterprise-demo"
DEMO_ENTERPRISE_EMAIL = "enterprise-demo@example.com"
DEMO_LETTER = b"%PDF-1.4\n% demo authorisation letter\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
CATALOGUE = (
    (
        "premises-certificate",
        "住所（经营场所）使用证明告知承诺",
        "本企业承诺：所填报的住所（经营场所）真实、合法，本企业对其享有使用权；如有不实，愿意承担相应法律责任，"
        "并接受登记机关依法作出的处理。",
        "《国务院办公厅关于全面推行证明事项和涉企经营许可事项告知承诺制的指导意见》（国办发〔2020〕42号）",
    ),
    (
        "food-business-licence",
        "食品经营许可告知承诺",
        "本企业承诺：已知晓食品经营许可的条件和标准，现已具备相应条件，将在规定期限内接受核查；"
        "如承诺不实或违反承诺，愿意承担被撤销许可、记入信用记录等法律责任。",
        "《中华人民共和国食品安全法》第三十五条；国办发〔2020〕42号",
    ),
    (
        "credit-repair",
        "信用修复承诺",
        "本企业承诺：已履行行政处罚决定规定的义务，已纠正违法行为，今后依法诚信经营；"
        "如违反承诺，愿意接受相关部门依法依规采取的惩戒措施。",
        "《失信行为纠正后的信用信息修复管理办法（试行）》",
    ),
)


@dataclass(frozen=True)
class DemoEnterprise:
    user: User
    subject: Subject
    created: bool


def ensure_catalogue() -> int:
    """The demo commitment catalogue, entered once, kept by the market-regulation department."""
    department = Department.objects.filter(code="bj-market-regulation").first()
    if department is None or CommitmentType.objects.exists():
        return 0
    for code, title, text, basis in CATALOGUE:
        commitments.save_commitment_type(
            CommitmentType(code=code, title=title, text=text, legal_basis=basis, department=department),
            actor=None,
        )
    return len(CATALOGUE)


def demo_subject() -> Subject | None:
    enterprises = Subject.objects.filter(subject_type=SubjectType.ENTERPRISE, status=SubjectStatus.ACTIVE)
    return (
        enterprises.filter(district=District.HAIDIAN).order_by("code").first()
        or enterprises.order_by("code").first()
    )


@transaction.atomic
def ensure_demo_enterprise(password_hash: str) -> DemoEnterprise | None:
    """The demo enterprise account with a verified e-mail address, bound as legal representative."""
    from allauth.account.models import EmailAddress

    user, created = User.objects.get_or_create(
        username=DEMO_ENTERPRISE_USERNAME,
        defaults={"email": DEMO_ENTERPRISE_EMAIL, "password": password_hash},
    )
    EmailAddress.objects.get_or_create(
        user=user, email=user.email or DEMO_ENTERPRISE_EMAIL, defaults={"verified": True, "primary": True}
    )
    current = bindings.active_binding(user)
    if current is not None:
        return DemoEnterprise(user, current.subject, created)
    subject = demo_subject()
    if subject is None:
        return None
    pending = Binding.objects.filter(user=user, status=BindingStatus.PENDING).first()
    if pending is None:
        letter = check_upload(SimpleUploadedFile("授权书.pdf", DEMO_LETTER, "application/pdf"))
        taken = Binding.objects.filter(
            subject=subject, status=BindingStatus.APPROVED, role=BindingRole.LEGAL_REPRESENTATIVE
        ).exists()
        role = BindingRole.AUTHORISED_STAFF if taken else BindingRole.LEGAL_REPRESENTATIVE
        pending = bindings.request_binding(user=user, code=subject.code, role=role, letter=letter)
    decider = (
        User.objects.filter(username=f"reg-{pending.department.code}").first() if pending.department else None
    ) or User.objects.filter(is_superuser=True).order_by("pk").first()
    bindings.decide_binding(pending, actor=decider, approve=True, reason="演示数据")
    return DemoEnterprise(user, pending.subject, created)
