"""The words every package shares: what a report is about, how urgent, where, what happened.

Stored values are these strings; code names the members, never the strings.
"""

import enum


class Category(enum.StrEnum):
    """What kind of harm a report is about."""

    KDRT = "kdrt"
    KEKERASAN_SEKSUAL = "kekerasan_seksual"
    KEKERASAN_ANAK = "kekerasan_anak"
    TPPO = "tppo"
    PERKAWINAN_ANAK = "perkawinan_anak"
    LAINNYA = "lainnya"


class Victim(enum.StrEnum):
    """Who the harm is done to, as far as the text tells."""

    PEREMPUAN = "perempuan"
    ANAK = "anak"
    TIDAK_DIKETAHUI = "tidak_diketahui"


class Priority(enum.StrEnum):
    """How fast someone must act; darurat means danger now or about to happen."""

    DARURAT = "darurat"
    TINGGI = "tinggi"
    BIASA = "biasa"

    def outranks(self, other: str) -> bool:
        """Whether this priority is more urgent than `other` (members are listed most urgent
        first)."""
        order = list(Priority)
        return order.index(self) < order.index(Priority(other))


class RegionLevel(enum.StrEnum):
    """Administrative level of a gazetteer entry, largest first."""

    PROVINCE = "province"
    REGENCY = "regency"
    DISTRICT = "district"
    VILLAGE = "village"


class Channel(enum.StrEnum):
    """The channels a message comes in or goes out on."""

    SMS = "sms"
    WHATSAPP = "whatsapp"


class CaseEventKind(enum.StrEnum):
    """What one line of a case's timeline records."""

    OPENED = "opened"
    REPORT_JOINED = "report_joined"
    ROUTED = "routed"
    UNROUTED = "unrouted"
    LOCATED = "located"
    PRIORITY_RAISED = "priority_raised"
    ACKNOWLEDGED = "acknowledged"
    STATUS = "status"
    CLOSURE = "closure"
    NOTE = "note"
    READ = "read"
    REFERRED = "referred"
    SPLIT = "split"
    ALERTED = "alerted"
    ESCALATED = "escalated"
    POLICE_REPORTED = "police_reported"
    POLICE_REMINDED = "police_reminded"
    POLICE_ESCALATED = "police_escalated"
    MESSAGE_TO_REPORTER = "message_to_reporter"
    REPORTER_REPLY = "reporter_reply"
    CONTACT_REVEALED = "contact_revealed"
    TASK_ADDED = "task_added"
    TASK_DONE = "task_done"
    TASK_REMINDED = "task_reminded"
    REFERRAL_REQUESTED = "referral_requested"
    REFERRAL_ACCEPTED = "referral_accepted"
    REFERRAL_DECLINED = "referral_declined"
    REFERRAL_OUTCOME = "referral_outcome"
    SIMFONI = "simfoni"  # staff filled SIMFONI-PPA fields
    FILED_BY_STAFF = "filed_by_staff"
    EXPORTED = "exported"
    REPORTER_ERASED = "reporter_erased"
    ERASED = "erased"
