"""The CI gate: what a GitHub Action or a GitLab CI job runs.

`checkout` works out the range of commits an event adds and makes sure the checkout holds
it (deepening a shallow clone, or saying exactly which depth to set); `gate` scans that
range through the ordinary commands and writes the reports; `github` and `gitlab` read
each platform's event and speak its language (job summary and annotations; the
secret-detection report). A gate never passes on what it did not see.
"""
