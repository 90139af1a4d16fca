"""Smoke-testing notebooks: static hidden-state lint, clean runs, reports.

``nbtrack smoke`` and ``pytest --nbtrack-smoke`` are thin doors into this
package; nothing here is imported by ``nbtrack`` itself at start-up.
"""
