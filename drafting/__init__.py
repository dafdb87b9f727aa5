"""Drafting a directive from the text of its letter (clean or OCR'd): pure functions, no I/O.

normalise: lines and OCR folding · header: number, date, issuer, subject, signer · items: numbered items of
the prose → tasks · appendix: tables whose columns were interleaved → tasks · units/grid: names → registry ·
deadline_text: deadlines as written → the deadline grammar · draft: all of it → a Draft with its review list.
"""
