"""Tests in a real browser: Debian's chromium driven by Playwright, checked with axe-core."""
