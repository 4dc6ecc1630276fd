"""The operators' dashboard at /agent/dashboard (and /dashboard, which leads there).

Part of the agent console's sub-application: the same sign-in, session cookie and CSRF
check. Operators and supervisors see it; agents get 403 and no link. Figures come from
SQL aggregates (figures.py); what the bot did not understand is grouped (unknown.py).
"""
