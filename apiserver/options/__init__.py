"""Command-line options, in groups as upstream's ``ServerRunOptions``.

Each group: ``add_flags(parser)`` (defaults are the field values), ``complete()``, ``validate() -> [errors]``
naming the flag, and ``apply_to(config)``. ``ServerRunOptions`` runs each step over every group.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import List, Optional

from apiserver.config import Config
from apiserver.options.admission import AdmissionOptions
from apiserver.options.audit import AuditOptions
from apiserver.options.authentication import AuthenticationOptions
from apiserver.options.authorization import AuthorizationOptions
from apiserver.options.controllers import ControllerOptions
from apiserver.options.generic import GenericServerRunOptions
from apiserver.options.logging import LoggingOptions
from apiserver.options.serving import SecureServingOptions
from apiserver.options.storage import StorageOptions


class OptionsError(Exception):
    """A configuration the server cannot start with; the message names the flag."""


@dataclass
class ServerRunOptions:
    generic: GenericServerRunOptions = field(default_factory=GenericServerRunOptions)
    secure_serving: SecureServingOptions = field(default_factory=SecureServingOptions)
    storage: StorageOptions = field(default_factory=StorageOptions)
    authentication: AuthenticationOptions = field(default_factory=AuthenticationOptions)
    authorization: AuthorizationOptions = field(default_factory=AuthorizationOptions)
    logging: LoggingOptions = field(default_factory=LoggingOptions)
    controllers: ControllerOptions = field(default_factory=ControllerOptions)
    admission: AdmissionOptions = field(default_factory=AdmissionOptions)
    audit: AuditOptions = field(default_factory=AuditOptions)
    print_version: Optional[str] = None

    def groups(self):
        return [self.generic, self.secure_serving, self.storage, self.authentication, self.authorization,
                self.logging, self.controllers, self.admission, self.audit]

    def add_flags(self, parser: argparse.ArgumentParser):
        for group in self.groups():
            group.add_flags(parser)

    def set_from(self, namespace: argparse.Namespace):
        """Copy parsed flag values onto the option fields (each flag's dest is ``<group>.<field>``)."""
        for dest, value in vars(namespace).items():
            group_name, _, name = dest.partition(".")
            if name:
                setattr(getattr(self, group_name), name, value)

    def complete(self) -> ServerRunOptions:
        self.storage.complete()
        self.secure_serving.complete(self.storage.data_dir)
        for group in (self.generic, self.authentication, self.authorization, self.logging, self.controllers,
                      self.admission, self.audit):
            group.complete()
        return self

    def validate(self) -> List[str]:
        errors: List[str] = []
        for group in self.groups():
            errors.extend(group.validate())
        return errors

    def config(self) -> Config:
        """Build the server config; listening and certificates happen here, so errors show before serving."""
        config = Config()
        try:
            self.generic.apply_to(config)
            self.storage.apply_to(config)
            self.secure_serving.apply_to(config)
            self.authentication.apply_to(config, self.secure_serving, self.authorization.modes)
            self.authorization.apply_to(config)
            self.controllers.apply_to(config)
            self.admission.apply_to(config)
            self.audit.apply_to(config)
        except (OSError, ValueError) as err:
            if config.secure_serving is not None:
                config.secure_serving.listener.close()
            if config.store is not None:
                config.store.close()
            raise OptionsError(str(err)) from err
        return config
