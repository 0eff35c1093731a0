"""Steps many browser tests share."""

from playwright.sync_api import expect

from tests.factories.accounts import PASSWORD, totp_code


def log_in(page, base_url, user, *, with_code=False):
    """Log in through the real form (and the two-step code when asked); lands on My account."""
    page.goto(base_url + "/accounts/login/")
    page.locator("#id_login").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    if with_code:
        page.locator("#id_code").fill(totp_code())
        page.get_by_role("button", name="Sign In").click()
    expect(page.locator("h1")).to_have_text("My account")
