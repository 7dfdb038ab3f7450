"""Selection (选取): projects, selection requests, sign-up, and the verifiable draw."""
