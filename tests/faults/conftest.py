"""The fault tests' stack: a private PostgreSQL, Redis and SMTP server, and a
real Celery worker on them, with this test process pointed at the same ones
(the Django connection, the cache and the Celery producer), so that setting
up and checking happen where the worker works. Only these are ever killed."""

import itertools
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connections

from tests.faultservers import HoldingSmtp, PrivatePostgres, PrivateRedis, private_root
from tests.mailservers import HOST, free_port
from tests.processes import ROOT, child_env, start_worker, wait_for

TEMPLATE = "portal_template"
_databases = itertools.count(1)


@pytest.fixture(scope="session")
def private_postgres():
    """One private cluster for the session, with a migrated template database."""
    root = private_root()
    server = PrivatePostgres(root)
    server.start()
    try:
        with server.connect(autocommit=True) as db:
            db.execute(f"CREATE DATABASE {TEMPLATE}")
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=child_env() | {"DATABASE_URL": server.url(TEMPLATE)},
            check=True,
            timeout=300,
        )
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class Stack:
    postgres: PrivatePostgres
    redis: PrivateRedis
    smtp: HoldingSmtp
    logdir: Path
    workers: list = field(default_factory=list)

    @property
    def worker(self):
        return self.workers[-1]

    def start_worker(self):
        worker = start_worker(
            log=self.logdir / "worker.log",
            REDIS_URL=self.redis.url,
            EMAIL_URL=f"smtp://{self.smtp.host}:{self.smtp.port}",
        )
        self.workers.append(worker)
        return worker

    def kill_worker(self) -> None:
        self.worker.kill()  # SIGKILL: no chance to finish, roll back or ack
        self.worker.wait(timeout=30)

    def restart_postgres(self) -> None:
        self.postgres.kill()
        self.postgres.start()
        connections["default"].close()  # this process's connection died with the server

    def restart_redis(self) -> None:
        self.redis.kill()
        self.start_redis_again()

    def start_redis_again(self) -> None:
        self.redis.start()
        _point_celery_at(self.redis.url)  # pooled connections died with the server


def _point_celery_at(url: str) -> str:
    """Make this process's Celery producer publish to ``url``; return the old one."""
    from kombu import pools

    from portal.celery import app

    old = app.conf.broker_url
    app.conf.broker_url = url
    pools.reset()  # closes the pooled connections and forgets the pools, so new ones are made
    app._pool = None
    app.amqp._producer_pool = None
    return old


@pytest.fixture
def stack(transactional_db, private_postgres, settings, tmp_path):
    name = f"faults_{next(_databases)}"
    with private_postgres.connect(autocommit=True) as db:
        db.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    redis = PrivateRedis(private_root())
    redis.start()
    smtp = HoldingSmtp(HOST, free_port())
    from aiosmtpd.controller import Controller

    controller = Controller(smtp, hostname=HOST, port=smtp.port, ready_timeout=10.0)
    controller.start()

    connection = connections["default"]
    connection.close()
    saved = dict(connection.settings_dict)
    connection.settings_dict.update(NAME=name, HOST=HOST, PORT=str(private_postgres.port), USER="postgres", PASSWORD="")
    ContentType.objects.clear_cache()  # ids belong to a database
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis.url}}
    old_broker = _point_celery_at(redis.url)
    result = Stack(private_postgres, redis, smtp, tmp_path)
    try:
        yield result
    finally:
        smtp.release()
        for worker in result.workers:
            if worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    worker.kill()
        controller.stop()
        _point_celery_at(old_broker)
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
        ContentType.objects.clear_cache()
        redis.stop()
        shutil.rmtree(Path(redis.log).parent, ignore_errors=True)
        if private_postgres.process.poll() is None:
            with private_postgres.connect(autocommit=True) as db:
                db.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if result.workers:
            print(f"worker log: {tmp_path / 'worker.log'}")


def all_sent(timeout: float = 120.0, process=None):
    """Wait until the outbox holds no unsent mail."""
    from portal.models import OutboundMail

    def done():
        connections["default"].close_if_unusable_or_obsolete()
        return OutboundMail.objects.exists() and not OutboundMail.objects.filter(sent_at=None).exists()

    return wait_for(done, timeout=timeout, process=process, step=0.1)
