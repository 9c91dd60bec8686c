"""One router per resource: the service, questions, the report, the pages."""
