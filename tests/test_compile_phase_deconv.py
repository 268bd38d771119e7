"""The phase form of stride-2 transposed convs computes the same function as the layer it replaces."""

from __future__ import annotations

import pytest
import torch
from sapiens2.compile.phase_deconv import PhaseDeconv2d, deconv_form, phase_deconvs, rewritable
from torch import nn

# (kernel, padding, output_padding): the three the official heads' deconv stages use (blocks.deconv_padding).
DOUBLING = [(4, 1, 0), (3, 1, 1), (2, 0, 0)]


@pytest.mark.parametrize("kernel,padding,output_padding", DOUBLING)
@pytest.mark.parametrize("bias", [False, True])
def test_phase_form_equals_the_transposed_conv(kernel: int, padding: int, output_padding: int, bias: bool) -> None:
    torch.manual_seed(kernel)
    layer = nn.ConvTranspose2d(6, 5, kernel, stride=2, padding=padding, output_padding=output_padding, bias=bias)
    x = torch.randn(2, 6, 7, 5)  # odd, unequal sides: every phase slice is exercised at both borders
    with torch.no_grad():
        expected, got = layer(x), PhaseDeconv2d(layer)(x)
    assert got.shape == expected.shape == (2, 5, 14, 10)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "layer",
    [
        nn.ConvTranspose2d(4, 4, 4, stride=1, padding=1),
        nn.ConvTranspose2d(4, 4, 4, stride=2, padding=1, groups=2),
        nn.ConvTranspose2d(4, 4, 4, stride=2, padding=1, dilation=2),
        nn.ConvTranspose2d(4, 4, 4, stride=2, padding=0),  # output 2H + 2, not 2H
        nn.Conv2d(4, 4, 3),
    ],
)
def test_other_layers_are_refused(layer: nn.Module) -> None:
    assert not rewritable(layer)
    with pytest.raises(ValueError, match="cannot rewrite"):
        PhaseDeconv2d(layer)  # type: ignore[arg-type]


def test_swap_keeps_the_weights_and_restores_the_layers_even_after_an_error() -> None:
    head = nn.Sequential(
        nn.ConvTranspose2d(3, 4, 4, 2, 1, bias=False), nn.SiLU(), nn.Sequential(nn.ConvTranspose2d(4, 2, 4, 2, 1))
    )
    originals = [head[0], head[2][0]]
    with pytest.raises(RuntimeError, match="export failed"), phase_deconvs(head):
        assert isinstance(head[0], PhaseDeconv2d) and isinstance(head[2][0], PhaseDeconv2d)
        assert not head.state_dict()  # the phase weights are derived buffers, never saved
        raise RuntimeError("export failed")
    assert [head[0], head[2][0]] == originals
    with deconv_form(head, "native"):
        assert head[0] is originals[0]
