#!/usr/bin/env python3
"""Writes every crafted capture into pcaps/: runs generate(outdir) of each
pcaps/gen_*.py module in name order.  Deterministic: same script, same bytes.
Usage: python3 pcaps/generate.py [OUTDIR]   (default: the pcaps/ folder)"""
import importlib
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
outdir = sys.argv[1] if len(sys.argv) > 1 else here
os.makedirs(outdir, exist_ok=True)
for name in sorted(f[:-3] for f in os.listdir(here) if f.startswith("gen_") and f.endswith(".py")):
    importlib.import_module(name).generate(outdir)
