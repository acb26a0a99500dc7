"""Time: what the plan's schedule phrases mean, which days are working days, and what falls due when."""
