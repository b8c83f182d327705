"""Trust: which reporters count toward anything the portal publishes, and
which networks it never publishes.

Everything that leaves the building (the block list, FightBack and bulk
mail, public counts and labels, early warnings) counts *independent
reporters*, read through ``selectors``: accounts that are verified, past
probation, trusted enough and not suspended, with reporters on one network
counted once (``ReporterStanding.group``). Personal reports are not touched:
every account sees its own data, whatever its standing.

Well-known infrastructure (public resolvers, root servers, CDN anycast, the
portal's own services) is never listed or mailed about, and benign research
scanners are labelled everywhere (``KnownNetwork``).
"""
