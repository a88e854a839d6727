"""The editor of a 自评表: what a 填报人 types in the browser, and how it reaches the database.

- `fields`: the input fields (numbers parsed by projects.validation, texts with their limits);
- `forms`: the edit form (header, 项目资金, 年度总体目标) and the indicator formset, `AssessmentEditor` binding them;
- `page`: what the edit page shows beside the input (the evaluation as on the screen, where a check points);
- `save`: the one write of an edit (optimistic lock, merge of concurrent edits, the rebase after a refusal);
- `create`: a new form, empty or copied from last year.
"""
