"""Outward actions: takedown and lock requests, referrals, suspensions, fines; their letters and answers."""
