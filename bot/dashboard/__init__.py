"""The operators' dashboard at /agent/dashboard (and /dashboard, which leads there).

Part of the agent console's sub-application: the same sign-in, session cookie and CSRF
check. Operators and supervisors see it; agents get 403 and no link (bot/console/access.py).
Figures come from SQL aggregates (figures.py); what the bot did not understand is grouped
(unknown.py); problem reports are counted (problems.py) and worked through, each with its
status, on their own page with a CSV export (worklist.py).
"""
