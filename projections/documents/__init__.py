"""The official documents, made from the log: the facts each one prints (`facts`), its
wording (`templates/`, read by `render`), ND 30's page (`layout`), the PDF (`pdf`), the
fixed words (`words`), and the commands' decisions (`service`). Numbering and recording
a document is the workflow's (`kiemtra.workflow.issue_document`)."""
