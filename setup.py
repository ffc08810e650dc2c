"""Which packages the distribution holds; everything else about it is in pyproject.toml.

The reference clients live in the top-level ``clients/`` folder but install as
``bedrock_emulator_clients``, so no generic ``clients`` name lands in site-packages. pyproject.toml
alone cannot say that: its ``packages.find`` discovers folders under their own names only.
"""

from setuptools import find_namespace_packages, setup

setup(
    packages=[*find_namespace_packages(include=["emulator", "emulator.*"]), "bedrock_emulator_clients"],
    package_dir={"bedrock_emulator_clients": "clients"},
    package_data={"bedrock_emulator_clients": ["py.typed"]},
)
