"""Values triage gives a report, shared by intake, cases and alerts."""

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


class PlaceLevel(enum.StrEnum):
    """Administrative level of a gazetteer entry, smallest first."""

    VILLAGE = "village"
    DISTRICT = "district"
    REGENCY = "regency"
    PROVINCE = "province"
