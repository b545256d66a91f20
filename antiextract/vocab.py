"""The names the request plane writes and the metrics count, in one place.

``metrics`` sits below the planes (the request plane and the intelligence plane both use
it), so the label vocabularies it bounds its label sets with cannot come from the modules
that use it: they live here, and those modules take them from here too.
"""

from __future__ import annotations

# The ladder's actions, mildest first (policy.py)
ALLOW = "allow"
DEGRADE = "degrade"
CHALLENGE = "challenge"
THROTTLE = "throttle"
BLOCK = "block"
ACTIONS = (ALLOW, DEGRADE, CHALLENGE, THROTTLE, BLOCK)

# API families (request/apis/): the ``name`` of each adapter
CHAT_API = "openai.chat"
COMPLETIONS_API = "openai.completions"
RESPONSES_API = "openai.responses"
MESSAGES_API = "anthropic.messages"
GENERIC_API = "generic"
API_NAMES = (CHAT_API, COMPLETIONS_API, RESPONSES_API, MESSAGES_API, GENERIC_API)

# The auth layer's headers (request/identity.py), by the name the ignored-headers metric
# gives them, and why one was not believed
ACCOUNT, CREATED, TIER = "account", "created", "tier"
AUTH_HEADERS = (ACCOUNT, CREATED, TIER)
UNTRUSTED_PEER = "untrusted_peer"  # TRUSTED_PROXIES is set and the peer is not in it
REPEATED = "repeated"  # sent more than once: which one the auth layer wrote is unknown
INVALID = "invalid"  # a creation time that is not a finite Unix time or ISO 8601
IGNORED_REASONS = (UNTRUSTED_PEER, REPEATED, INVALID)
