"""The network families (their registry and recipes, the CIFAR-10 ResNets and VGGs),
initialisers, and the pack: several networks of one architecture as one model.
"""
