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


def log_out(page):
    """Log out with the header button (confirming on allauth's page if it asks)."""
    page.get_by_role("button", name="Log out").click()
    if page.url.endswith("/accounts/logout/"):
        page.locator("main button[type=submit]").click()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
