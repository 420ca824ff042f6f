"""The Masks type: checks on the way in, density, fit to a network, on disk."""

import numpy as np
import pytest

from lottery_ticket.foundations import masks as masks_lib
from lottery_ticket.foundations import save_restore


def _masks():
  return {'layer0': np.array([[1, 0, 0], [1, 1, 0]]),
          'layer1': np.array([1.0, 0.0]), 'layer1_bias': np.ones(2)}


def test_density_is_counted_by_hand(tmp_path):
  masks = masks_lib.Masks(_masks())
  assert sorted(masks) == ['layer0', 'layer1']  # biases are never masked
  assert masks.alive() == 4 and masks.size() == 8
  assert masks.density() == 0.5 and masks.sparsity() == 0.5
  assert masks.layer_density() == {'layer0': 0.5, 'layer1': 0.5}
  save_restore.save_network(str(tmp_path / 'm'), dict(masks))
  again = masks_lib.Masks.load(str(tmp_path / 'm'))
  assert {name: list(value.shape) for name, value in again.items()} == {
      'layer0': [2, 3], 'layer1': [2]}
  np.testing.assert_array_equal(again['layer0'], _masks()['layer0'])
  assert again['layer0'].dtype == np.float32


@pytest.mark.parametrize('bad', [0.5, 2.0, np.nan])
def test_non_binary_masks_are_refused_by_layer(bad):
  values = _masks()
  values['layer1'] = np.array([1.0, bad])
  with pytest.raises(ValueError, match="mask 'layer1' .* other than 0 and 1"):
    masks_lib.Masks(values)


def test_fit_to_a_network_names_the_layer():
  masks = masks_lib.Masks(_masks(), source='run/masks')
  masks.check_fits({'layer0': [2, 3], 'layer1': [2]})
  with pytest.raises(ValueError, match=r'layer0 is \[2, 3\], here it is \[3, 3\]'):
    masks.check_fits({'layer0': [3, 3], 'layer1': [2]})
  with pytest.raises(ValueError, match='from run/masks is from a different network'):
    masks.check_fits({'layer0': [2, 3]})
