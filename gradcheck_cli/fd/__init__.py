"""The finite-difference core: one place for what every check by differences needs — the noise
of a computed value, stencils and their steps, the error model of a difference, and the tolerance
a difference is judged against. Spec checks, user-code checks and ``gradcheck steps`` use it
alike; it knows nothing of networks or of user code."""
