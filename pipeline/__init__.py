"""wikibind's library: clean, convert, resolve, and build books. Never imports luigi.

Package order follows the flow: source → clean → convert → links/bibliography
→ book → render → epub / pdf / html.
"""
