"""Delivery of the DSL supervision programme: programmes, enrolments, caseloads, sessions."""
