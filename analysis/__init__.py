"""Reading results back: tables, figures, Hessian spectra, interpolation.

Command lines (each a thin Fire shell over the function of the same name):
  results            tables and figures of an experiment tree
  hessian_spectrum   exact or Lanczos eigenvalues of the loss Hessian
  interpolation      loss and accuracy along the line between two networks
  instability        linear mode connectivity of copies trained from k

Modules, one concept each:
  run_discovery, run_summary, results_table, curves     the results table
  network_source, network_model, weight_evaluator        saved networks
  memory, hessian_operator, hessian_exact, lanczos,
  loss_on_batch                                          Hessian machinery
  plot_style, results_plots, spectrum_plots,
  interpolation_plots                                    figures (matplotlib)

Only the plotting modules import matplotlib, and only when a figure is
drawn; everything else needs numpy and TensorFlow alone.
"""
