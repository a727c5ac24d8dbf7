"""Step inputs refuse fields they do not have: a misspelt or misplaced kubeconfig fails
when the workflow builds the input, not silently inside the activity."""

from __future__ import annotations

import pydantic
import pytest

from eksa_temporal.activities import models as am
from eksa_temporal.activities.move import models as mm


@pytest.mark.parametrize("model", [am.ProvisionInput, am.InstallCapiInput, am.CleanupInput, mm.MoveStepInput])
def test_an_unknown_field_is_refused(model: type[pydantic.BaseModel]) -> None:
    with pytest.raises(pydantic.ValidationError, match="bootstrap_kubconfig"):
        model(cluster_name="c", workdir="/w/c", bootstrap_kubconfig="/typo")
    model(cluster_name="c", workdir="/w/c", bootstrap_kubeconfig="/b")  # the real field
