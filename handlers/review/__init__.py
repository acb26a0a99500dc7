"""Sở KH&CN's review desk: what units sent, accepted or returned once; the queue and its bulk decisions; the
review workbook's round trip; a return revised by the unit; extensions asked and decided."""
