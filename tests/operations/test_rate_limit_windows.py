"""The desk's fixed-window limiter: every limit of a call counted at once, refused past
its limit with the seconds left in its window, and every counter expiring with its
window (nothing left behind in Redis)."""

from __future__ import annotations

import uuid

from django.core.cache import cache

from omnidesk.ratelimit import Limit, hit
from omnidesk.redis_pool import cache_client


def test_each_limit_counts_and_the_first_one_over_refuses():
    # Hour-long windows: the six hits never straddle two.
    visitor, address = f"v-{uuid.uuid4().hex}", f"ip-{uuid.uuid4().hex}"
    verdicts = [hit(Limit(visitor, 3, 3600), Limit(address, 5, 3600)) for _ in range(6)]
    assert [v.allowed for v in verdicts] == [True, True, True, False, False, False]
    refused = verdicts[3]
    assert 1 <= refused.retry_after <= 3600
    # The address counted every hit, the refused ones too: six, over its five.
    assert not hit(Limit(f"other-{uuid.uuid4().hex}", 3, 3600), Limit(address, 5, 3600)).allowed


def test_a_limit_of_zero_refuses_everything():
    assert not hit(Limit(f"z-{uuid.uuid4().hex}", 0, 60)).allowed


def test_every_counter_expires_with_its_window():
    key = f"ttl-{uuid.uuid4().hex}"
    hit(Limit(key, 10, 30))
    hit(Limit(key, 10, 30))
    client = cache_client()
    [counter] = client.keys(cache.make_and_validate_key(f"rl:{key}:*"))
    assert int(client.get(counter)) == 2
    assert 0 < client.ttl(counter) <= 31
