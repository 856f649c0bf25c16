"""Ships the top-level grammar/ folder inside the wheel as rails/grammar/."""
from setuptools import setup
from setuptools.command.build_py import build_py
import shutil
from pathlib import Path


class BuildWithGrammar(build_py):
    def run(self):
        super().run()
        target = Path(self.build_lib) / "rails" / "grammar"
        target.mkdir(parents=True, exist_ok=True)
        for source in Path(__file__).parent.joinpath("grammar").glob("*.lark"):
            shutil.copy2(source, target / source.name)


setup(cmdclass={"build_py": BuildWithGrammar})
