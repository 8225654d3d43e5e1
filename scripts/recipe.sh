# scripts/recipe.sh: the shipped model's training options, sourced by
# scripts/train-default (which builds models/default with them) and
# scripts/probe-topics (which measures them on unseen topics), so that the
# two never drift apart. Each caller adds --balance-links CORPUS_DIR and
# its inputs.

# C and gamma: the grid search (chaff train --grid, on a 4000-row sample) chose
# C 8, gamma 0.3 for the first shipped model; on this data it picks C 32,
# gamma 0.03, which cross-validates worse on all rows (macro-F1 0.926 against
# 0.936), so the parameters are fixed here. gamma 0.15 replaced 0.3 because it
# carries better to topics the model has not seen (scripts/probe-topics, K 3:
# macro-F1 0.928 against 0.918, humans flagged 3.9% against 4.6%), while dev
# stays at macro-F1 0.696. C 32 was tried too: 7% fewer support vectors, dev
# 0.705, fixtures/heldout 0.955 against 0.961.
chaff_recipe_params=(--C 8 --gamma 0.15)

# --human-weight 1.5 --review-at 0.5: verdicts weigh P(human) by 1.5 before
# deciding (a prior shift: comment sections hold more people than the
# training mix), so the label, the most probable class, leans towards human,
# and a comment is flagged when its unweighted P(not human) is at
# least 0.6 (up to rounding). On fixtures/heldout this keeps macro-F1 at
# 0.962 (0.964 unweighted) and flags 2.1% of humans instead of 3.3%; on
# ../shared/eval/dev 10.5% instead of 12.8%.
# --balance-links (added by the callers): in the corpus, humans post the
# links and @mentions (68% of human tweets, 10% of machine ones); without it
# the model flagged 26% of dev human tweets once their links were removed (9%
# with them). See README.
chaff_recipe=(--seed 1 --cap 3000 --weight fixtures=2 --human-weight 1.5 --review-at 0.5)
