"""Driving admin add/change pages in tests as a person would: the form with the
management form of each inline, and the errors the re-rendered page shows."""


def admin_post(client, url, data):
    """POST ``data`` to an admin add/change page, with the management form of every
    inline the page has (no rows unless ``data`` says otherwise)."""
    page = client.get(url)
    assert page.status_code == 200
    full = {}
    for inline in page.context["inline_admin_formsets"]:
        prefix = inline.formset.prefix
        initial = inline.formset.management_form.initial["INITIAL_FORMS"]
        full.update(
            {
                f"{prefix}-TOTAL_FORMS": str(initial),
                f"{prefix}-INITIAL_FORMS": str(initial),
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    full.update(data)
    return client.post(url, full)


def admin_errors(response) -> dict:
    """The re-rendered form's errors: the main form's by field name, each inline form's
    as ``<prefix>-<index>-<field>``."""
    assert response.status_code == 200, "the form was accepted"
    errors = {
        name: list(messages) for name, messages in response.context["adminform"].form.errors.items()
    }
    for inline in response.context["inline_admin_formsets"]:
        for index, form_errors in enumerate(inline.formset.errors):
            for name, messages in form_errors.items():
                errors[f"{inline.formset.prefix}-{index}-{name}"] = list(messages)
    assert errors, "re-rendered without an error"
    assert b"errornote" in response.content
    return errors
